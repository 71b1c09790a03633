"""Discovery documents: ``/version``, ``/api``, ``/apis`` and ``/apis/<group>/<version>``.

How kubectl (client-go v1.32) discovers, which decides what the server must answer:

1. It sends ``GET /api`` and ``GET /apis`` with
   ``Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,
   application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json``.
2. When the response's Content-Type is the aggregated type (`AGGREGATED_CONTENT_TYPE`), the
   body is an `aggregated_discovery` list (``legacy_core=True`` for ``/api``, ``False`` for
   ``/apis``) that already carries every resource; kubectl asks nothing more.
3. When the Content-Type is plain ``application/json``, ``/api`` must be `api_versions` and
   ``/apis`` `api_group_list`; kubectl then fetches `api_resource_list` for every
   group-version (``/api/v1``, ``/apis/apps/v1``, ...).

Either way kubectl's RESTMapper ends up with the same resources, short names and
categories, so ``kubectl get po``, ``deploy`` or ``nodepools`` resolve identically.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ._catalog import Catalog, ResourceType, subresource

__all__ = [
    "AGGREGATED_CONTENT_TYPE",
    "KUBERNETES_VERSION",
    "accepts_aggregated",
    "aggregated_discovery",
    "api_group_list",
    "api_resource_list",
    "api_versions",
    "storage_version_hash",
    "version_info",
]

KUBERNETES_VERSION = "v1.31.4"

AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
_AGGREGATED_V2 = ("apidiscovery.k8s.io", "v2", "APIGroupDiscoveryList")


def version_info() -> dict[str, str]:
    """The ``/version`` body of a kube-apiserver release build."""
    major, minor, _ = KUBERNETES_VERSION.removeprefix("v").split(".")
    return {
        "major": major,
        "minor": minor,
        "gitVersion": KUBERNETES_VERSION,
        "gitCommit": "a78aa47129b8539636eb86a9d00e31b2720fe06b",
        "gitTreeState": "clean",
        "buildDate": "2024-12-10T18:35:36Z",
        "goVersion": "go1.22.10",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def accepts_aggregated(accept: str) -> bool:
    """Whether an Accept header prefers the aggregated (apidiscovery.k8s.io/v2) document.

    Media ranges are taken in the client's order, as client-go lists them by preference.
    """
    for media_range in accept.split(","):
        kind, *raw_params = (part.strip() for part in media_range.split(";"))
        params = dict(p.split("=", 1) for p in raw_params if "=" in p)
        if kind not in ("application/json", "application/*", "*/*"):
            continue
        if params.get("as") is None:
            return False
        if (params.get("g"), params.get("v"), params["as"]) == _AGGREGATED_V2:
            return True
    return False


def api_versions(*, server_address: str = "127.0.0.1:6443") -> dict[str, Any]:
    """``/api``: the legacy core group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_version(group: str, version: str) -> dict[str, str]:
    return {"groupVersion": f"{group}/{version}" if group else version, "version": version}


def api_group_list(catalog: Catalog) -> dict[str, Any]:
    """``/apis``: every named group, versions listed preferred first."""
    groups = [
        {
            "name": group,
            "versions": [_group_version(group, v) for v in versions],
            "preferredVersion": _group_version(group, versions[0]),
        }
        for group, versions in catalog.group_versions()
        if group
    ]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def storage_version_hash(rt: ResourceType) -> str:
    """kube-apiserver's hash of the storage group/version/kind (first 8 bytes of sha256)."""
    digest = hashlib.sha256(f"{rt.group}/{rt.version}/{rt.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def _legacy_resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    # Review kinds (create-only) are never stored, so they carry no storage hash.
    if "get" in rt.verbs:
        entry["storageVersionHash"] = storage_version_hash(rt)
    return entry


def _legacy_subresource(rt: ResourceType, name: str) -> dict[str, Any]:
    sub = subresource(rt, name)
    entry: dict[str, Any] = {"name": f"{rt.plural}/{name}", "singularName": "", "namespaced": rt.namespaced}
    if (sub.group, sub.version) != (rt.group, rt.version):
        entry |= {"group": sub.group, "version": sub.version}
    return entry | {"kind": sub.kind, "verbs": list(sub.verbs)}


def api_resource_list(catalog: Catalog, group: str, version: str) -> dict[str, Any] | None:
    """``/api/v1`` or ``/apis/<group>/<version>``; None for a group-version not served."""
    types = catalog.resources(group, version)
    if not types:
        return None
    resources = []
    for rt in types:
        resources.append(_legacy_resource(rt))
        resources.extend(_legacy_subresource(rt, name) for name in rt.subresources)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def _gvk(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": rt.plural,
        "responseKind": _gvk(rt.group, rt.version, rt.kind),
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    subs = [subresource(rt, name) for name in rt.subresources]
    if subs:
        entry["subresources"] = [
            {"subresource": s.name, "responseKind": _gvk(s.group, s.version, s.kind), "verbs": list(s.verbs)}
            for s in subs
        ]
    return entry


def aggregated_discovery(catalog: Catalog, *, legacy_core: bool) -> dict[str, Any]:
    """An apidiscovery.k8s.io/v2 APIGroupDiscoveryList.

    ``legacy_core=True`` gives the ``/api`` answer (the core group only, unnamed);
    ``False`` gives the ``/apis`` answer (every named group). Serve it with Content-Type
    `AGGREGATED_CONTENT_TYPE` when `accepts_aggregated` says the client asked for it.
    """
    items = []
    for group, versions in catalog.group_versions():
        if (group == "") != legacy_core:
            continue
        metadata: dict[str, Any] = {"creationTimestamp": None}
        if group:
            metadata["name"] = group
        items.append(
            {
                "metadata": metadata,
                "versions": [
                    {
                        "version": version,
                        "resources": [_aggregated_resource(rt) for rt in catalog.resources(group, version)],
                        "freshness": "Current",
                    }
                    for version in versions
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }
