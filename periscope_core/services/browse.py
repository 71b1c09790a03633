"""Read-only browsing of built-in kinds and custom resources, made as the caller.

Every call names the identity it is made as (``as_``); the apiserver's RBAC decides
what the caller may see, so this service never filters on its own.
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

import msgspec
import yaml

from periscope_core.domain.errors import Forbidden, NotFound, UnknownKind
from periscope_core.domain.identity import BRIDGE, Impersonation
from periscope_core.domain.resources import CRD_GVR, GroupVersionResource, KindSpec, kind_by_plural
from periscope_core.services.crds import (
    CrdInfo,
    CustomListPage,
    PrinterColumn,
    custom_row,
    decode_crd,
    decode_crd_list,
)
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.kube import KubeClient
from periscope_core.services.projections import ListPage, event_time, project_list

__all__ = ["BrowseService", "CustomKind", "clean_object", "to_yaml"]

_EVENTS = GroupVersionResource("", "v1", "events")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class CustomKind(msgspec.Struct, frozen=True):
    """What browsing one custom resource type needs to know about it."""

    gvr: GroupVersionResource
    kind: str
    namespaced: bool
    columns: list[PrinterColumn] = []


def _secret_size(value: Any) -> int:
    try:
        return len(base64.b64decode(value, validate=True)) if isinstance(value, str) else 0
    except (binascii.Error, ValueError):
        return 0


def clean_object(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy without managedFields and the last-applied annotation; a Secret loses its values.

    Secret values are replaced by ``keys`` (name and decoded size) so that neither
    the detail view nor the YAML view discloses them; revealing a value is a
    separate, audited action.
    """
    out = copy.copy(obj)
    meta = dict(out.get("metadata") or {})
    meta.pop("managedFields", None)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != _LAST_APPLIED}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    if out.get("kind") == "Secret" and out.get("apiVersion") == "v1":
        data = out.pop("data", None) or {}
        string_data = out.pop("stringData", None) or {}
        keys = {k: _secret_size(v) for k, v in data.items()}
        keys.update({k: len(str(v).encode()) for k, v in string_data.items()})
        out["keys"] = [{"name": k, "size": keys[k]} for k in sorted(keys)]
    return out


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings, so config files inside ConfigMaps stay readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(obj: dict[str, Any]) -> str:
    """YAML in the apiserver's key order (apiVersion, kind, metadata, spec, status)."""
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _newest_first(page: ListPage) -> ListPage:
    page.items.sort(key=event_time, reverse=True)
    return page


class BrowseService:
    """List, get, YAML and events for any kind of any registered cluster."""

    def __init__(self, directory: ClusterDirectory) -> None:
        self._directory = directory

    @staticmethod
    def kind(plural: str) -> KindSpec:
        """The built-in kind served under ``plural``; UnknownKind otherwise."""
        spec = kind_by_plural(plural)
        if spec is None:
            raise UnknownKind(plural)
        return spec

    async def _client(self, cluster: str) -> KubeClient:
        return await self._directory.client(cluster)

    async def list_kind(
        self,
        cluster: str,
        plural: str,
        *,
        namespace: str | None = None,
        limit: int = 0,
        continue_token: str = "",
        label_selector: str = "",
        field_selector: str = "",
        as_: Impersonation = BRIDGE,
    ) -> ListPage:
        """One page of summary rows; ``continue`` in the result fetches the next one."""
        spec = self.kind(plural)
        client = await self._client(cluster)
        body = await client.list_raw(
            spec.gvr,
            namespace=namespace if spec.namespaced else None,
            limit=limit,
            continue_token=continue_token,
            label_selector=label_selector,
            field_selector=field_selector,
            as_=as_,
        )
        page = project_list(plural, body)
        return _newest_first(page) if plural == "events" else page

    async def get_object(
        self, cluster: str, plural: str, name: str, *, namespace: str | None = None, as_: Impersonation = BRIDGE
    ) -> dict[str, Any]:
        spec = self.kind(plural)
        client = await self._client(cluster)
        obj = await client.get(spec.gvr, name, namespace=namespace if spec.namespaced else None, as_=as_)
        return clean_object(obj)

    async def yaml(
        self, cluster: str, plural: str, name: str, *, namespace: str | None = None, as_: Impersonation = BRIDGE
    ) -> str:
        return to_yaml(await self.get_object(cluster, plural, name, namespace=namespace, as_=as_))

    async def events_for(
        self, cluster: str, plural: str, name: str, *, namespace: str | None = None, as_: Impersonation = BRIDGE
    ) -> ListPage:
        """Events whose involvedObject is this object, newest first."""
        spec = self.kind(plural)
        return await self._events(cluster, spec.kind, name, spec.namespaced, namespace, as_)

    async def _events(
        self, cluster: str, kind: str, name: str, namespaced: bool, namespace: str | None, as_: Impersonation
    ) -> ListPage:
        selector = f"involvedObject.kind={kind},involvedObject.name={name}"
        if namespaced and namespace:
            selector += f",involvedObject.namespace={namespace}"
        client = await self._client(cluster)
        # Events about a cluster-scoped object may be recorded in any namespace.
        body = await client.list_raw(
            _EVENTS, namespace=namespace if namespaced else None, field_selector=selector, as_=as_
        )
        return _newest_first(project_list("events", body))

    # --- custom resources ---------------------------------------------------------

    async def crds(self, cluster: str, *, as_: Impersonation = BRIDGE) -> list[CrdInfo]:
        """The custom resource catalog; CRDs serving no version are left out."""
        client = await self._client(cluster)
        return decode_crd_list(await client.list_raw(CRD_GVR, as_=as_))

    async def custom_kind(
        self, cluster: str, group: str, version: str, plural: str, *, as_: Impersonation = BRIDGE
    ) -> CustomKind:
        """Resolve a custom type: from its CRD, else from discovery (aggregated APIs).

        A caller who may not read CRDs still browses the resources through discovery,
        only without printer columns. UnknownKind when neither knows the type.
        """
        client = await self._client(cluster)
        gvr = GroupVersionResource(group, version, plural)
        try:
            crd = decode_crd(await client.request("GET", CRD_GVR.path(name=f"{plural}.{group}"), as_=as_))
        except (NotFound, Forbidden):
            crd = None
        if crd is not None:
            served = crd.version(version)
            if served is None or not served.served:
                raise UnknownKind(f"{plural}.{version}.{group}")
            columns = [c for c in served.printer_columns if c.priority == 0]
            return CustomKind(gvr, crd.kind, crd.namespaced, columns)
        for resource in await client.discover(as_=as_):
            if (resource.group, resource.version, resource.plural) == (group, version, plural):
                return CustomKind(gvr, resource.kind, resource.namespaced)
        raise UnknownKind(f"{plural}.{version}.{group}")

    async def list_custom(
        self,
        cluster: str,
        group: str,
        version: str,
        plural: str,
        *,
        namespace: str | None = None,
        limit: int = 0,
        continue_token: str = "",
        label_selector: str = "",
        as_: Impersonation = BRIDGE,
    ) -> CustomListPage:
        """One page of custom resources with their printer-column cells."""
        kind = await self.custom_kind(cluster, group, version, plural, as_=as_)
        client = await self._client(cluster)
        listed = await client.list(
            kind.gvr,
            namespace=namespace if kind.namespaced else None,
            limit=limit,
            continue_token=continue_token,
            label_selector=label_selector,
            as_=as_,
        )
        return CustomListPage(
            items=[custom_row(obj, kind.columns) for obj in listed.items],
            continue_=listed.continue_token,
            resource_version=listed.resource_version,
            columns=kind.columns,
            scope="Namespaced" if kind.namespaced else "Cluster",
        )

    async def get_custom(
        self,
        cluster: str,
        group: str,
        version: str,
        plural: str,
        name: str,
        *,
        namespace: str | None = None,
        as_: Impersonation = BRIDGE,
    ) -> dict[str, Any]:
        client = await self._client(cluster)
        gvr = GroupVersionResource(group, version, plural)
        return clean_object(await client.get(gvr, name, namespace=namespace, as_=as_))

    async def custom_yaml(
        self,
        cluster: str,
        group: str,
        version: str,
        plural: str,
        name: str,
        *,
        namespace: str | None = None,
        as_: Impersonation = BRIDGE,
    ) -> str:
        obj = await self.get_custom(cluster, group, version, plural, name, namespace=namespace, as_=as_)
        return to_yaml(obj)

    async def custom_events(
        self,
        cluster: str,
        group: str,
        version: str,
        plural: str,
        name: str,
        *,
        namespace: str | None = None,
        as_: Impersonation = BRIDGE,
    ) -> ListPage:
        kind = await self.custom_kind(cluster, group, version, plural, as_=as_)
        return await self._events(cluster, kind.kind, name, kind.namespaced, namespace, as_)
