"""The EKS upgrade views: upgrade insights, managed node groups with AMI drift, add-ons with freshness.

These come from the AWS API, called with Periscope's own AWS identity, not the user's, so
the cluster's RBAC cannot decide who sees them. The gate is the nearest Kubernetes right:
the caller must be allowed to list nodes in that cluster (asked as them, cached like every
pre-flight check). Answers are cached as long as AWS's data stays the same: insights an
hour (AWS refreshes them about daily), the add-on catalog six hours, the recommended AMI
thirty minutes, the control plane's version ten minutes. Concurrent misses share one call.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
import msgspec

from periscope_core.domain.clusters import parse_eks_arn
from periscope_core.domain.eks_upgrade import (
    AddonsPage,
    AddonView,
    AmiDrift,
    AmiSource,
    CatalogAddon,
    CatalogPage,
    HealthIssue,
    Insight,
    InsightsPage,
    InsightSummary,
    NodegroupsPage,
    NodegroupView,
    Scaling,
    ami_image_pattern,
    ami_release_parameter,
    compare_releases,
    is_newer,
    minor_versions_behind,
    newest_version,
    version_key,
)
from periscope_core.domain.errors import AwsError, AwsResourceNotFound, Forbidden, NotEks, PeriscopeError, Status
from periscope_core.domain.identity import Impersonation
from periscope_core.ports.aws import AwsApi
from periscope_core.services.can_i import AccessCheck, CanIService
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.ttl_cache import TtlCache

__all__ = ["EksUpgradeService", "EksUpgradeTtls"]

_T = TypeVar("_T")
VIEW_CHECK = AccessCheck("list", resource="nodes")
"""What a caller must be allowed in the cluster to see its EKS views."""


class EksUpgradeTtls(msgspec.Struct, frozen=True):
    insights: float = 3600.0
    catalog: float = 6 * 3600.0
    ami: float = 1800.0
    cluster_version: float = 600.0


class _Target(msgspec.Struct, frozen=True):
    cluster: str
    region: str
    name: str
    """The cluster's name in EKS (from its ARN), which may differ from its registry name."""


# -- the AWS shapes read here ----------------------------------------------------------------


class _Health(msgspec.Struct):
    issues: list[dict[str, Any]] = []


class _Nodegroup(msgspec.Struct):
    nodegroupName: str
    status: str = ""
    version: str = ""
    releaseVersion: str = ""
    amiType: str = ""
    capacityType: str = ""
    instanceTypes: list[str] | None = None
    scalingConfig: dict[str, int] = {}
    health: _Health = msgspec.field(default_factory=_Health)
    launchTemplate: dict[str, str] | None = None


class _Addon(msgspec.Struct):
    addonName: str
    addonVersion: str = ""
    status: str = ""
    health: _Health = msgspec.field(default_factory=_Health)
    serviceAccountRoleArn: str = ""
    owner: str = ""
    publisher: str = ""
    configurationValues: str = ""


class _AddonVersion(msgspec.Struct):
    addonVersion: str
    compatibilities: list[dict[str, Any]] = []


class _AddonInfo(msgspec.Struct):
    addonName: str
    type: str = ""
    publisher: str = ""
    owner: str = ""
    addonVersions: list[_AddonVersion] = []


def _issues(health: _Health) -> list[HealthIssue]:
    return [HealthIssue(code=str(i.get("code", "")), message=str(i.get("message", "")),
                        resource_ids=[str(r) for r in i.get("resourceIds") or []]) for i in health.issues]  # fmt: skip


def _is_default(version: _AddonVersion, kubernetes_version: str) -> bool:
    return any(c.get("clusterVersion") == kubernetes_version and c.get("defaultVersion")
               for c in version.compatibilities)  # fmt: skip


class EksUpgradeService:
    """One instance serves every cluster; ``aws`` None means the eks extra is not installed."""

    def __init__(
        self,
        directory: ClusterDirectory,
        aws: AwsApi | None,
        access: CanIService,
        *,
        ttls: EksUpgradeTtls = EksUpgradeTtls(),
        concurrency: int = 8,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._directory = directory
        self._aws = aws
        self._access = access
        self._ttls = ttls
        self._concurrency = concurrency
        self._now = now
        self._caches = {kind: TtlCache(ttl=ttl, max_entries=1024, clock=clock)
                        for kind, ttl in msgspec.structs.asdict(ttls).items()}  # fmt: skip
        self._inflight: dict[Hashable, anyio.Lock] = {}

    # -- insights ----------------------------------------------------------------------------

    async def insights(self, cluster: str, *, as_: Impersonation) -> InsightsPage:
        target = await self._target(cluster, as_)
        version = await self._cluster_version(target)

        async def fetch() -> tuple[list[InsightSummary], datetime]:
            raw = await self._pages(target, "eks", "ListInsights", {"clusterName": target.name}, "insights")
            return msgspec.convert(raw, list[InsightSummary]), self._now()

        items, fetched = await self._cached("insights", ("list", target), fetch)
        counts: dict[str, int] = {}
        for item in items:
            counts[item.insightStatus.status] = counts.get(item.insightStatus.status, 0) + 1
        return InsightsPage(cluster=cluster, kubernetes_version=version, items=items, counts=counts,
                            fetched_at=fetched)  # fmt: skip

    async def insight(self, cluster: str, insight_id: str, *, as_: Impersonation) -> Insight:
        target = await self._target(cluster, as_)

        async def fetch() -> Insight:
            answer = await self._call(target, "eks", "DescribeInsight", {"clusterName": target.name, "id": insight_id})
            return msgspec.convert(answer.get("insight") or {}, Insight)

        return await self._cached("insights", ("one", target, insight_id), fetch)

    # -- node groups -------------------------------------------------------------------------

    async def nodegroups(self, cluster: str, *, as_: Impersonation) -> NodegroupsPage:
        target = await self._target(cluster, as_)
        version = await self._cluster_version(target)
        names = await self._pages(target, "eks", "ListNodegroups", {"clusterName": target.name}, "nodegroups")
        views = await self._each([str(n) for n in names], lambda name: self._nodegroup(target, name, version))
        return NodegroupsPage(cluster=cluster, kubernetes_version=version, items=sorted(views, key=lambda v: v.name))

    async def nodegroup(self, cluster: str, name: str, *, as_: Impersonation) -> NodegroupView:
        target = await self._target(cluster, as_)
        return await self._nodegroup(target, name, await self._cluster_version(target))

    async def _nodegroup(self, target: _Target, name: str, cluster_version: str) -> NodegroupView:
        answer = await self._call(target, "eks", "DescribeNodegroup",
                                  {"clusterName": target.name, "nodegroupName": name})  # fmt: skip
        group = msgspec.convert(answer.get("nodegroup") or {}, _Nodegroup)
        template = group.launchTemplate or {}
        template_name = template.get("name") or template.get("id") or ""
        scaling = group.scalingConfig
        return NodegroupView(
            name=group.nodegroupName, status=group.status, version=group.version,
            release_version=group.releaseVersion, ami_type=group.amiType, capacity_type=group.capacityType,
            instance_types=group.instanceTypes or [],
            scaling=Scaling(min_size=scaling.get("minSize", 0), max_size=scaling.get("maxSize", 0),
                            desired_size=scaling.get("desiredSize", 0)),
            health=_issues(group.health), minor_versions_behind=minor_versions_behind(group.version, cluster_version),
            ami=await self._drift(target, group), launch_template=template_name,
        )  # fmt: skip

    async def _drift(self, target: _Target, group: _Nodegroup) -> AmiDrift:
        current = group.releaseVersion
        if group.amiType == "CUSTOM":
            return AmiDrift(status="unknown", current=current, reason="a custom AMI: its launch template picks it")
        parameter = ami_release_parameter(group.amiType, group.version)
        if parameter is None:
            return AmiDrift(status="unknown", current=current, reason=f"no published release for {group.amiType}")
        latest, source, reason = await self._cached(
            "ami", (target.region, group.amiType, group.version), lambda: self._latest_ami(target, group, parameter))
        if not latest:
            return AmiDrift(status="unknown", current=current, reason=reason)
        return AmiDrift(status=compare_releases(current, latest), current=current, latest=latest, source=source)

    async def _latest_ami(self, target: _Target, group: _Nodegroup, parameter: str) -> tuple[str, AmiSource, str]:
        """(latest, source, why unknown): AWS's public parameter first, the newest public image when it fails."""
        try:
            answer = await self._call(target, "ssm", "GetParameter", {"Name": parameter})
            value = str((answer.get("Parameter") or {}).get("Value", ""))
            if value:
                return value, "ssm", ""
            failure = f"{parameter} is empty"
        except AwsError as exc:
            failure = exc.message
        pattern = ami_image_pattern(group.amiType, group.version)
        if pattern is None:
            return "", "", failure
        try:
            images_filter = [{"Name": "name", "Values": [pattern]}]
            answer = await self._call(target, "ec2", "DescribeImages", {"Owners": ["amazon"], "Filters": images_filter})
        except AwsError as exc:
            return "", "", f"{failure}; {exc.message}"
        images = [i for i in answer.get("Images") or [] if i.get("Name")]
        if not images:
            return "", "", f"{failure}; no public image matches {pattern}"
        newest = max(images, key=lambda i: str(i.get("CreationDate", "")))
        return str(newest["Name"]), "ec2", ""

    # -- add-ons -----------------------------------------------------------------------------

    async def addons(self, cluster: str, *, as_: Impersonation) -> AddonsPage:
        target = await self._target(cluster, as_)
        version = await self._cluster_version(target)
        names = await self._pages(target, "eks", "ListAddons", {"clusterName": target.name}, "addons")
        installed = await self._each([str(n) for n in names], lambda name: self._addon(target, name))
        try:
            latest = await self._latest_addon_versions(target, version)
            catalog_error = ""
        except AwsError as exc:
            latest, catalog_error = None, exc.message
        views = [self._addon_view(addon, latest) for addon in sorted(installed, key=lambda a: a.addonName)]
        return AddonsPage(cluster=cluster, kubernetes_version=version, items=views, catalog_error=catalog_error)

    async def addon(self, cluster: str, name: str, *, as_: Impersonation) -> AddonView:
        target = await self._target(cluster, as_)
        addon = await self._addon(target, name)
        try:
            latest = await self._latest_addon_versions(target, await self._cluster_version(target))
        except AwsError:
            latest = None
        return self._addon_view(addon, latest)

    async def _addon(self, target: _Target, name: str) -> _Addon:
        answer = await self._call(target, "eks", "DescribeAddon", {"clusterName": target.name, "addonName": name})
        return msgspec.convert(answer.get("addon") or {}, _Addon)

    @staticmethod
    def _addon_view(addon: _Addon, latest: Mapping[str, str] | None) -> AddonView:
        newest = "" if latest is None else latest.get(addon.addonName, "")
        update = None if latest is None or not newest else is_newer(newest, addon.addonVersion)
        return AddonView(
            name=addon.addonName, version=addon.addonVersion, status=addon.status, health=_issues(addon.health),
            latest_version=newest, update_available=update, service_account_role_arn=addon.serviceAccountRoleArn,
            owner=addon.owner, publisher=addon.publisher, configuration_values=addon.configurationValues,
        )  # fmt: skip

    async def catalog(self, cluster: str, *, as_: Impersonation) -> CatalogPage:
        target = await self._target(cluster, as_)
        version = await self._cluster_version(target)
        infos, fetched = await self._catalog(target, version)
        items = [
            CatalogAddon(
                name=info.addonName, type=info.type, publisher=info.publisher, owner=info.owner,
                versions=sorted((v.addonVersion for v in info.addonVersions), key=version_key, reverse=True),
                default_version=next((v.addonVersion for v in info.addonVersions if _is_default(v, version)), ""),
            )
            for info in sorted(infos, key=lambda i: i.addonName)
        ]  # fmt: skip
        return CatalogPage(cluster=cluster, kubernetes_version=version, items=items, fetched_at=fetched)

    async def _catalog(self, target: _Target, version: str) -> tuple[list[_AddonInfo], datetime]:
        async def fetch() -> tuple[list[_AddonInfo], datetime]:
            raw = await self._pages(target, "eks", "DescribeAddonVersions", {"kubernetesVersion": version}, "addons")
            return msgspec.convert(raw, list[_AddonInfo]), self._now()

        return await self._cached("catalog", (target.region, version), fetch)

    async def _latest_addon_versions(self, target: _Target, version: str) -> dict[str, str]:
        infos, _ = await self._catalog(target, version)
        return {info.addonName: newest_version([v.addonVersion for v in info.addonVersions]) for info in infos}

    # -- plumbing ----------------------------------------------------------------------------

    async def _target(self, cluster: str, as_: Impersonation) -> _Target:
        entry = self._directory.entry(cluster)
        arn = parse_eks_arn(entry.arn) if entry.backend == "eks" else None
        if arn is None:
            raise NotEks(cluster, entry.backend)
        client = await self._directory.client(cluster)
        [decision] = await self._access.check(client, [VIEW_CHECK], as_=as_)
        if not decision.allowed:
            raise Forbidden(Status(code=403, reason="Forbidden", message=(
                f"the EKS views of {cluster} are for those who may list nodes there ({decision.reason})")))
        if self._aws is None:
            raise AwsError("the EKS views need the eks extra (aiobotocore), which is not installed")
        return _Target(cluster=cluster, region=entry.region, name=arn.name)

    async def _cluster_version(self, target: _Target) -> str:
        async def fetch() -> str:
            answer = await self._call(target, "eks", "DescribeCluster", {"name": target.name})
            return str((answer.get("cluster") or {}).get("version", ""))

        return await self._cached("cluster_version", target, fetch)

    async def _call(self, target: _Target, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self._aws is not None  # _target refuses without it
        return await self._aws.call(target.region, service, operation, params)

    async def _pages(
        self, target: _Target, service: str, operation: str, params: dict[str, Any], key: str
    ) -> list[Any]:
        """Every item of a paginated list (``nextToken``), in order."""
        items: list[Any] = []
        token = ""
        while True:
            answer = await self._call(target, service, operation, {**params, **({"nextToken": token} if token else {})})
            items.extend(answer.get(key) or [])
            token = str(answer.get("nextToken") or "")
            if not token:
                return items

    async def _cached(self, kind: str, key: Hashable, fetch: Callable[[], Awaitable[_T]]) -> _T:
        cache = self._caches[kind]
        full = (kind, key)
        if (hit := cache.get(full)) is not None:
            return hit  # type: ignore[return-value]  # stored by this method under the same key
        lock = self._inflight.setdefault(full, anyio.Lock())
        try:
            async with lock:
                if (hit := cache.get(full)) is not None:
                    return hit  # type: ignore[return-value]
                value = await fetch()
                cache.put(full, value)
                return value
        finally:
            if not lock.locked() and lock.statistics().tasks_waiting == 0:
                self._inflight.pop(full, None)

    async def _each(self, names: list[str], job: Callable[[str], Awaitable[_T]]) -> list[_T]:
        """``job`` for every name, at most ``concurrency`` at a time; a name gone meanwhile is skipped."""
        limiter = anyio.CapacityLimiter(self._concurrency)
        results: dict[str, _T] = {}
        failures: list[PeriscopeError] = []

        async def run(name: str) -> None:
            async with limiter:
                try:
                    results[name] = await job(name)
                except AwsResourceNotFound:
                    return  # deleted between the list and the describe
                except PeriscopeError as exc:
                    # The first failure answers the request as it is, not wrapped in a group.
                    failures.append(exc)
                    tg.cancel_scope.cancel()

        async with anyio.create_task_group() as tg:
            for name in names:
                tg.start_soon(run, name)
        if failures:
            raise failures[0]
        return [results[n] for n in names if n in results]
