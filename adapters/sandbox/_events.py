"""Core v1 Events as the cluster's components record them, kept to a bounded number.

A real apiserver expires events after an hour; the sandbox instead keeps the newest
``limit`` it recorded, so a fleet left running for days does not grow without end.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = ["EventRecorder", "ObjectApi"]

Obj = dict[str, Any]


class ObjectApi(Protocol):
    """The engine's in-process object API, as the controllers and the seed use it."""

    def create_object(self, obj: Obj) -> Obj: ...

    def update_object(self, obj: Obj) -> Obj: ...

    def delete_object(self, api_version: str, kind_or_plural: str, namespace: str, name: str) -> Any: ...

    def get_object(self, api_version: str, kind_or_plural: str, namespace: str, name: str) -> Obj | None: ...

    def list_objects(self, group: str, plural: str, namespace: str | None = None) -> list[Obj]: ...


def involved(obj: Mapping[str, Any]) -> Obj:
    """An ObjectReference to ``obj``."""
    meta = obj["metadata"]
    ref = {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": meta["name"],
        "uid": meta.get("uid", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    return ref


class EventRecorder:
    """Writes Events about objects; forgets (deletes) the oldest beyond ``limit``."""

    def __init__(self, api: ObjectApi, *, now: Callable[[], str], limit: int = 400) -> None:
        self._api, self._now, self._limit = api, now, limit
        self._recorded: deque[tuple[str, str]] = deque()

    def record(
        self,
        obj: Mapping[str, Any],
        reason: str,
        message: str,
        *,
        type: str = "Normal",
        component: str,
        host: str = "",
        count: int = 1,
        field_path: str = "",
    ) -> None:
        ref = involved(obj)
        if field_path:
            ref["fieldPath"] = field_path
        namespace = obj["metadata"].get("namespace") or "default"
        name = f"{obj['metadata']['name']}.{secrets.token_hex(8)}"
        now = self._now()
        source = {"component": component, **({"host": host} if host else {})}
        self._api.create_object({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "type": type,
            "source": source,
            "reportingComponent": component,
            "reportingInstance": host,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": count,
        })
        self._recorded.append((namespace, name))
        while len(self._recorded) > self._limit:
            old_ns, old_name = self._recorded.popleft()
            self._api.delete_object("v1", "events", old_ns, old_name)
