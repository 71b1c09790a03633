"""Small helpers over Kubernetes objects as plain dicts, shared by the controllers and the seed."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

__all__ = [
    "Obj",
    "clone",
    "condition",
    "controller_ref",
    "is_owned_by",
    "name_suffix",
    "pod_from_template",
    "template_hash",
]

Obj = dict[str, Any]

# The alphabet the controllers use for generated names: no vowels, no look-alikes.
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def clone(obj: Mapping[str, Any]) -> Obj:
    """A deep copy of JSON-shaped data (stored objects are shared and must not be mutated)."""
    result: Obj = msgspec.json.decode(msgspec.json.encode(obj))
    return result


def name_suffix(rng: random.Random, length: int = 5) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(length))


def template_hash(template: Mapping[str, Any]) -> str:
    """A stable 10-character hash of a pod template, like ``pod-template-hash``."""
    digest = int.from_bytes(hashlib.sha256(msgspec.json.encode(template, order="sorted")).digest()[:8])
    out = []
    for _ in range(10):
        digest, index = divmod(digest, len(_ALPHABET))
        out.append(_ALPHABET[index])
    return "".join(out)


def controller_ref(owner: Mapping[str, Any]) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def is_owned_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    uid = owner["metadata"]["uid"]
    return any(r.get("uid") == uid for r in obj["metadata"].get("ownerReferences") or ())


def owned(objects: Iterable[Obj], owner: Mapping[str, Any]) -> list[Obj]:
    """The live (not terminating) objects ``owner`` controls."""
    return [o for o in objects if is_owned_by(o, owner) and "deletionTimestamp" not in o["metadata"]]


def condition(
    previous: Iterable[Mapping[str, Any]],
    type_: str,
    status: str,
    now: str,
    *,
    reason: str = "",
    message: str = "",
) -> Obj:
    """A condition that keeps its lastTransitionTime while its status does not change."""
    old = next((c for c in previous if c.get("type") == type_), None)
    unchanged = old is not None and old.get("status") == status and "lastTransitionTime" in old
    since = old["lastTransitionTime"] if old is not None and unchanged else now
    cond: Obj = {"type": type_, "status": status, "lastTransitionTime": since}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def _default_container(container: Mapping[str, Any]) -> Obj:
    latest = str(container.get("image", "")).endswith(":latest")
    return {
        "imagePullPolicy": "Always" if latest else "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        **container,
    }


def pod_from_template(
    template: Mapping[str, Any],
    *,
    name: str,
    namespace: str,
    owner: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
    node_name: str = "",
) -> Obj:
    """A pod as a workload controller creates it from its template, with the usual defaults."""
    meta = template.get("metadata") or {}
    spec = clone(template.get("spec") or {})
    spec["containers"] = [_default_container(c) for c in spec.get("containers") or ()]
    for key, value in (
        ("restartPolicy", "Always"), ("dnsPolicy", "ClusterFirst"), ("schedulerName", "default-scheduler"),
        ("serviceAccountName", "default"), ("terminationGracePeriodSeconds", 30), ("securityContext", {}),
        ("enableServiceLinks", True), ("preemptionPolicy", "PreemptLowerPriority"), ("priority", 0),
    ):  # fmt: skip
        spec.setdefault(key, value)
    if node_name:
        spec["nodeName"] = node_name
    pod_meta: Obj = {
        "name": name,
        "namespace": namespace,
        "labels": {**(meta.get("labels") or {}), **(labels or {})},
        "ownerReferences": [controller_ref(owner)],
    }
    if meta.get("annotations"):
        pod_meta["annotations"] = dict(meta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}
