"""Manifests and small helpers the transport contract suite shares."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple

import anyio

from periscope_core.domain.identity import Impersonation
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.protocols.watch import Bookmark, ObjectEvent, WatchEvent
from periscope_core.services.kube import KubeClient

NAMESPACES = GroupVersionResource("", "v1", "namespaces")
CONFIGMAPS = GroupVersionResource("", "v1", "configmaps")
PODS = GroupVersionResource("", "v1", "pods")
ROLES = GroupVersionResource("rbac.authorization.k8s.io", "v1", "roles")
ROLEBINDINGS = GroupVersionResource("rbac.authorization.k8s.io", "v1", "rolebindings")
ACCESS_REVIEWS = GroupVersionResource("authorization.k8s.io", "v1", "selfsubjectaccessreviews")
SELF_REVIEWS = GroupVersionResource("authentication.k8s.io", "v1", "selfsubjectreviews")

NOBODY = Impersonation(user="periscope-contract-nobody")
"""A user no binding mentions: authenticated, and allowed nothing beyond discovery and reviews."""


class PodRef(NamedTuple):
    """A running pod and the container that logs and runs exec commands."""

    namespace: str
    name: str
    container: str


LogWriter = Callable[[PodRef, str], Awaitable[None]]
"""A server hook that appends one line to a container's log."""


def configmap(name: str, *, labels: dict[str, str] | None = None, data: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels or {}},
        "data": data or {},
    }


def names(items: list[dict[str, Any]]) -> list[str]:
    return sorted(str(item["metadata"]["name"]) for item in items)


async def next_object(events: AsyncIterator[WatchEvent], *, within: float = 10.0) -> ObjectEvent:
    """The next ADDED/MODIFIED/DELETED event, skipping bookmarks; fails after ``within`` seconds."""
    with anyio.fail_after(within):
        async for event in events:
            if isinstance(event, ObjectEvent):
                return event
            if not isinstance(event, Bookmark):
                raise AssertionError(f"unexpected watch event {event!r}")
    raise AssertionError("the watch ended before an object event arrived")


async def wait_running(kube: KubeClient, namespace: str, name: str, *, within: float) -> dict[str, Any]:
    """Poll until the pod runs; a real cluster may need to pull the image first."""
    with anyio.fail_after(within):
        while True:
            pod = await kube.get(PODS, name, namespace=namespace)
            if pod.get("status", {}).get("phase") == "Running":
                return pod
            await anyio.sleep(0.2)
