"""``/api/clusters/{c}/eks/...``: the EKS upgrade views, one ``eks_read`` audit row per load.

The data comes from AWS with Periscope's own AWS identity; the service lets only callers
who may list the cluster's nodes see it. A cluster on another backend answers 422
``E_NOT_EKS``; an action Periscope's AWS role lacks answers 502 ``E_AWS_ACCESS_DENIED``
naming it.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from litestar import Controller, Response, get

from periscope_core.domain.audit import ResourceRef
from periscope_core.domain.eks_upgrade import (
    AddonsPage,
    AddonView,
    CatalogPage,
    Insight,
    InsightsPage,
    NodegroupsPage,
    NodegroupView,
)
from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.controllers.editing import NO_STORE, AnyRequest, audited
from periscope_entrypoints.http.deps import Caller
from periscope_entrypoints.http.params import CallerDep, PathStr, ServicesDep

_T = TypeVar("_T")
_EKS = "eks.amazonaws.com"


async def _read(
    services: Services, caller: Caller, request: AnyRequest, cluster: str, resource: str, name: str,
    load: Awaitable[_T],
) -> Response[_T]:  # fmt: skip
    ref = ResourceRef(group=_EKS, resource=resource, name=name)
    with audited(services, caller, request, verb="eks_read", cluster=cluster, resource=ref,
                 extra={"op": "get" if name else "list"}, read=True):  # fmt: skip
        page = await load
    return Response(page, headers=NO_STORE)


class EksController(Controller):
    path = "/api/clusters/{cluster:str}/eks"
    tags = ["eks"]

    @get("/upgrade-insights", operation_id="listEksUpgradeInsights")
    async def insights(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr
    ) -> Response[InsightsPage]:
        """EKS upgrade insights for the cluster, with counts per status (cached an hour; AWS refreshes daily)."""
        return await _read(services, caller, request, cluster, "insights", "",
                           services.eks.insights(cluster, as_=caller.as_))  # fmt: skip

    @get("/upgrade-insights/{insight_id:str}", operation_id="getEksUpgradeInsight")
    async def insight(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, insight_id: PathStr
    ) -> Response[Insight]:
        """One insight whole: recommendation, deprecated APIs and who still calls them, affected resources."""
        return await _read(services, caller, request, cluster, "insights", insight_id,
                           services.eks.insight(cluster, insight_id, as_=caller.as_))  # fmt: skip

    @get("/nodegroups", operation_id="listEksNodegroups")
    async def nodegroups(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr
    ) -> Response[NodegroupsPage]:
        """Managed node groups with kubelet skew and AMI drift against AWS's recommended release."""
        return await _read(services, caller, request, cluster, "nodegroups", "",
                           services.eks.nodegroups(cluster, as_=caller.as_))  # fmt: skip

    @get("/nodegroups/{name:str}", operation_id="getEksNodegroup")
    async def nodegroup(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, name: PathStr
    ) -> Response[NodegroupView]:
        """One managed node group, with its AMI drift."""
        return await _read(services, caller, request, cluster, "nodegroups", name,
                           services.eks.nodegroup(cluster, name, as_=caller.as_))  # fmt: skip

    @get("/addons", operation_id="listEksAddons")
    async def addons(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr
    ) -> Response[AddonsPage]:
        """Installed managed add-ons, each with the newest version AWS publishes for the cluster's version."""
        return await _read(services, caller, request, cluster, "addons", "",
                           services.eks.addons(cluster, as_=caller.as_))  # fmt: skip

    @get("/addons/catalog", operation_id="listEksAddonCatalog")
    async def catalog(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr
    ) -> Response[CatalogPage]:
        """Every add-on AWS publishes for the cluster's Kubernetes version (cached six hours)."""
        return await _read(services, caller, request, cluster, "addon-versions", "",
                           services.eks.catalog(cluster, as_=caller.as_))  # fmt: skip

    @get("/addons/{name:str}", operation_id="getEksAddon")
    async def addon(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, name: PathStr
    ) -> Response[AddonView]:
        """One installed add-on with its freshness."""
        return await _read(services, caller, request, cluster, "addons", name,
                           services.eks.addon(cluster, name, as_=caller.as_))  # fmt: skip
