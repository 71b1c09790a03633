"""The Helm release browser: releases, one revision, its history and the diff of two, read as the caller.

Read-only and without the Helm SDK: releases are Helm's own storage objects (Secrets, or
ConfigMaps for ``HELM_DRIVER=configmap``), decoded in the core. Which storage a cluster
uses is probed per (identity, cluster) and only a storage that showed releases is
remembered, so one user's permissions never decide what another user is told (the
original cached the first caller's answer for everybody). A caller who may not list
Secrets cluster-wide still sees the releases of the namespaces they may read.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import anyio
import anyio.to_thread
import msgspec

from periscope_core.domain.editing import Change, diff
from periscope_core.domain.errors import Forbidden, InvalidRequest, NotFound, PeriscopeError
from periscope_core.domain.helm_diff import ObjectChange, diff_manifests
from periscope_core.domain.helm_release import (
    Release,
    ReleaseNotFound,
    ReleaseResource,
    ReleaseUndecodable,
    StorageDriver,
    decode_release,
    is_release_name,
    manifest_objects,
    resource_of,
    storage_name,
    values_yaml,
)
from periscope_core.domain.identity import Impersonation
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.kube import KubeClient

__all__ = [
    "HISTORY_MAX",
    "LIST_CAP",
    "HelmService",
    "ReleaseDetail",
    "ReleaseDiff",
    "ReleaseHistory",
    "ReleaseList",
    "ReleaseSummary",
]

LIST_CAP = 200
HISTORY_MAX = 100
_STORAGE: dict[StorageDriver, GroupVersionResource] = {
    "secret": GroupVersionResource("", "v1", "secrets"),
    "configmap": GroupVersionResource("", "v1", "configmaps"),
}
_NAMESPACES = GroupVersionResource("", "v1", "namespaces")
# Helm keeps every revision; the list shows what is installed now, as `helm list` does.
_CURRENT = "owner=helm,status notin (superseded,uninstalled,uninstalling)"
_FAN_OUT = 8


# -- wire shapes: only what the browser reads -------------------------------------------------


class _Meta(msgspec.Struct):
    name: str = ""
    namespace: str = ""
    labels: dict[str, str] = {}


class _Stored(msgspec.Struct):
    """A Secret or ConfigMap holding one revision; ``data.release`` is decoded only when shown."""

    metadata: _Meta = msgspec.field(default_factory=_Meta)
    data: dict[str, str] = {}

    @property
    def revision(self) -> int:
        version = self.metadata.labels.get("version", "")
        return int(version) if version.isdigit() else 0

    @property
    def release_name(self) -> str:
        return self.metadata.labels.get("name", "")


class _StoredList(msgspec.Struct):
    items: list[_Stored] = []


class _Namespace(msgspec.Struct):
    metadata: _Meta = msgspec.field(default_factory=_Meta)


class _NamespaceList(msgspec.Struct):
    items: list[_Namespace] = []


_LIST = msgspec.json.Decoder(_StoredList)
_ONE = msgspec.json.Decoder(_Stored)
_NAMESPACE_LIST = msgspec.json.Decoder(_NamespaceList)


# -- the views ---------------------------------------------------------------------------------


class ReleaseSummary(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    """One release in the list, or one revision in a history."""

    name: str
    namespace: str
    revision: int
    status: str
    chart_name: str = ""
    chart_version: str = ""
    app_version: str = ""
    updated: str = ""
    description: str = ""
    problem: str = ""
    """Why the stored release could not be read (the row then shows what its labels say)."""


class ReleaseList(msgspec.Struct, frozen=True, rename="camel"):
    releases: list[ReleaseSummary]
    truncated: bool
    hidden_namespaces: int = 0
    """Namespaces left out because the caller may not list releases there (only after a cluster-wide 403)."""


class ReleaseDetail(msgspec.Struct, frozen=True, rename="camel"):
    name: str
    namespace: str
    revision: int
    status: str
    description: str
    chart_name: str
    chart_version: str
    app_version: str
    icon: str
    updated: str
    notes: str
    values_yaml: str
    """The user-supplied values only, as ``helm get values`` prints them."""
    manifest_yaml: str
    resources: list[ReleaseResource]


class ReleaseHistory(msgspec.Struct, frozen=True, rename="camel"):
    revisions: list[ReleaseSummary]
    """Newest first."""
    total: int
    """How many revisions Helm keeps for the release."""


class ReleaseDiff(msgspec.Struct, frozen=True, rename="camel"):
    name: str
    namespace: str
    from_revision: int
    to_revision: int
    from_manifest: str
    to_manifest: str
    changes: list[ObjectChange]
    from_values: str
    to_values: str
    value_changes: list[Change]


def _summary(stored: _Stored, driver: StorageDriver) -> ReleaseSummary:
    labels = stored.metadata.labels
    try:
        release = _decode(stored, driver)
    except PeriscopeError as exc:  # one unreadable release must not hide the others
        return ReleaseSummary(name=stored.release_name, namespace=stored.metadata.namespace, revision=stored.revision,
                              status=labels.get("status", ""), problem=exc.message)  # fmt: skip
    chart = release.chart.metadata
    return ReleaseSummary(
        name=release.name or stored.release_name, namespace=release.namespace or stored.metadata.namespace,
        revision=release.version or stored.revision, status=release.info.status or labels.get("status", ""),
        chart_name=chart.name, chart_version=chart.version, app_version=chart.app_version,
        updated=release.info.last_deployed, description=release.info.description,
    )  # fmt: skip


def _decode(stored: _Stored, driver: StorageDriver) -> Release:
    value = stored.data.get("release")
    if value is None:
        raise ReleaseUndecodable(f"{stored.metadata.name} has no release key")
    return decode_release(value, stored_in=driver)


def _detail(release: Release, stored: _Stored) -> ReleaseDetail:
    """Built in a worker thread: reading a large manifest's YAML takes a while."""
    namespace = release.namespace or stored.metadata.namespace
    chart = release.chart.metadata
    return ReleaseDetail(
        name=release.name or stored.release_name, namespace=namespace, revision=release.version or stored.revision,
        status=release.info.status or stored.metadata.labels.get("status", ""),
        description=release.info.description, chart_name=chart.name, chart_version=chart.version,
        app_version=chart.app_version, icon=chart.icon, updated=release.info.last_deployed, notes=release.info.notes,
        values_yaml=values_yaml(release), manifest_yaml=release.manifest,
        resources=[resource_of(obj, namespace) for obj in manifest_objects(release.manifest)],
    )  # fmt: skip


def _diff(name: str, namespace: str, old: Release, new: Release) -> ReleaseDiff:
    """Built in a worker thread, like ``_detail``."""
    return ReleaseDiff(
        name=name, namespace=namespace, from_revision=old.version, to_revision=new.version,
        from_manifest=old.manifest, to_manifest=new.manifest,
        changes=diff_manifests(manifest_objects(old.manifest), manifest_objects(new.manifest), namespace),
        from_values=values_yaml(old), to_values=values_yaml(new),
        value_changes=diff(old.config or {}, new.config or {}),
    )  # fmt: skip


def _newest_per_release(items: list[_Stored]) -> list[_Stored]:
    """One object per release, its highest revision (a failed upgrade leaves the last good one deployed)."""
    newest: dict[tuple[str, str], _Stored] = {}
    for item in items:
        key = (item.metadata.namespace, item.release_name)
        if key not in newest or item.revision > newest[key].revision:
            newest[key] = item
    return [newest[key] for key in sorted(newest)]


def _check_name(name: str) -> None:
    # The name goes into a label selector: refusing what Helm would refuse keeps it a plain value.
    if not is_release_name(name):
        raise InvalidRequest(f"{name!r} is not a Helm release name (lowercase DNS name, at most 53 characters)")


class HelmService:
    """``releases``, ``release``, ``history`` and ``diff`` of one cluster's Helm releases, as ``as_``."""

    def __init__(
        self,
        directory: ClusterDirectory,
        *,
        driver_ttl: float = 300.0,
        max_cached: int = 1024,
        clock: Callable[[], float] = anyio.current_time,
    ) -> None:
        self._directory = directory
        self._ttl, self._max_cached, self._clock = driver_ttl, max_cached, clock
        self._drivers: OrderedDict[tuple[Impersonation, str], tuple[float, StorageDriver]] = OrderedDict()

    async def releases(self, cluster: str, *, as_: Impersonation) -> ReleaseList:
        """What is installed: each release at its newest revision, sorted by namespace and name, at most 200."""
        client = await self._directory.client(cluster)
        driver = await self._driver(client, cluster, None, as_)
        hidden = 0
        try:
            items = _LIST.decode(await client.list_raw(_STORAGE[driver], label_selector=_CURRENT, as_=as_)).items
        except Forbidden as denied:
            items, hidden = await self._per_namespace(client, driver, denied, as_)
        newest = _newest_per_release(items)
        return ReleaseList(releases=[_summary(item, driver) for item in newest[:LIST_CAP]],
                           truncated=len(newest) > LIST_CAP, hidden_namespaces=hidden)  # fmt: skip

    async def release(self, cluster: str, namespace: str, name: str, *, revision: int = 0,
                      as_: Impersonation) -> ReleaseDetail:  # fmt: skip
        """One revision in full (0: the newest): notes, user-supplied values, manifest and its objects."""
        client = await self._directory.client(cluster)
        driver = await self._driver(client, cluster, namespace, as_)
        stored = await self._revision(client, driver, namespace, name, revision, as_)
        release = _decode(stored, driver)
        return await anyio.to_thread.run_sync(_detail, release, stored)

    async def history(self, cluster: str, namespace: str, name: str, *, max_: int = 10,
                      as_: Impersonation) -> ReleaseHistory:  # fmt: skip
        """The newest ``max_`` revisions, metadata only."""
        client = await self._directory.client(cluster)
        driver = await self._driver(client, cluster, namespace, as_)
        revisions = sorted(await self._revisions(client, driver, namespace, name, as_),
                           key=lambda s: s.revision, reverse=True)  # fmt: skip
        return ReleaseHistory(revisions=[_summary(s, driver) for s in revisions[:max_]], total=len(revisions))

    async def diff(self, cluster: str, namespace: str, name: str, *, from_: int, to: int,
                   as_: Impersonation) -> ReleaseDiff:  # fmt: skip
        """Both revisions' manifests and values, and what changed from ``from_`` to ``to``."""
        client = await self._directory.client(cluster)
        driver = await self._driver(client, cluster, namespace, as_)
        old = _decode(await self._revision(client, driver, namespace, name, from_, as_), driver)
        new = _decode(await self._revision(client, driver, namespace, name, to, as_), driver)
        return await anyio.to_thread.run_sync(_diff, name, namespace, old, new)

    # -- storage ---------------------------------------------------------------------------

    async def _driver(self, client: KubeClient, cluster: str, namespace: str | None,
                      as_: Impersonation) -> StorageDriver:  # fmt: skip
        """Where Helm keeps this cluster's releases, as far as ``as_`` can tell: Secrets unless shown otherwise."""
        key = (as_, cluster)
        cached = self._drivers.get(key)
        if cached is not None and cached[0] > self._clock():
            self._drivers.move_to_end(key)
            return cached[1]
        for driver, gvr in _STORAGE.items():
            try:
                body = await client.list_raw(gvr, namespace=namespace, label_selector="owner=helm", limit=1, as_=as_)
            except Forbidden:
                continue
            if _LIST.decode(body).items:
                self._drivers[key] = (self._clock() + self._ttl, driver)
                self._drivers.move_to_end(key)
                while len(self._drivers) > self._max_cached:
                    self._drivers.popitem(last=False)
                return driver
        # Nothing seen (no releases, or nothing this caller may list): Helm's default, not remembered.
        return "secret"

    async def _revisions(self, client: KubeClient, driver: StorageDriver, namespace: str, name: str,
                         as_: Impersonation) -> list[_Stored]:  # fmt: skip
        _check_name(name)
        body = await client.list_raw(_STORAGE[driver], namespace=namespace, label_selector=f"owner=helm,name={name}",
                                     as_=as_)  # fmt: skip
        found = [item for item in _LIST.decode(body).items if item.release_name == name]
        if not found:
            raise ReleaseNotFound(namespace, name)
        return found

    async def _revision(self, client: KubeClient, driver: StorageDriver, namespace: str, name: str, revision: int,
                        as_: Impersonation) -> _Stored:  # fmt: skip
        if revision <= 0:
            return max(await self._revisions(client, driver, namespace, name, as_), key=lambda s: s.revision)
        _check_name(name)
        path = _STORAGE[driver].path(namespace=namespace, name=storage_name(name, revision))
        try:
            stored = _ONE.decode(await client.request("GET", path, as_=as_))
        except NotFound:
            raise ReleaseNotFound(namespace, name, revision) from None
        if stored.metadata.labels.get("owner") != "helm" or stored.release_name != name:
            raise ReleaseNotFound(namespace, name, revision)
        return stored

    async def _per_namespace(self, client: KubeClient, driver: StorageDriver, denied: Forbidden,
                             as_: Impersonation) -> tuple[list[_Stored], int]:  # fmt: skip
        """Releases of each namespace the caller may read, 8 at a time, and how many namespaces refused."""
        try:
            listed = _NAMESPACE_LIST.decode(await client.list_raw(_NAMESPACES, as_=as_)).items
        except Forbidden:
            raise denied from None
        namespaces = [n.metadata.name for n in listed]
        found: list[_Stored] = []
        refused: list[str] = []
        failures: list[PeriscopeError] = []
        limiter = anyio.CapacityLimiter(_FAN_OUT)

        async def one(namespace: str) -> None:
            async with limiter:
                try:
                    body = await client.list_raw(_STORAGE[driver], namespace=namespace, label_selector=_CURRENT,
                                                 as_=as_)  # fmt: skip
                except Forbidden:
                    refused.append(namespace)
                    return
                except PeriscopeError as exc:  # kept, not raised: a task group would wrap it in a group
                    failures.append(exc)
                    return
                found.extend(_LIST.decode(body).items)

        async with anyio.create_task_group() as tg:
            for namespace in namespaces:
                tg.start_soon(one, namespace)
        if failures:
            raise failures[0]
        if len(refused) == len(namespaces):
            raise denied
        return found, len(refused)
