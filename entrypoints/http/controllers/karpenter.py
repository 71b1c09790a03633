"""``/api/clusters/{c}/karpenter``: the Karpenter view, read as the caller, one audit row per load."""

from __future__ import annotations

from litestar import Controller, Response, get

from periscope_core.domain.audit import ResourceRef
from periscope_core.services.karpenter import NODEPOOLS, KarpenterOverview
from periscope_entrypoints.http.controllers.editing import NO_STORE, AnyRequest, audited
from periscope_entrypoints.http.params import CallerDep, PathStr, ServicesDep


class KarpenterController(Controller):
    path = "/api/clusters/{cluster:str}/karpenter"
    tags = ["karpenter"]

    @get("/", operation_id="getKarpenter")
    async def karpenter(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr
    ) -> Response[KarpenterOverview]:
        """NodePools, NodeClaims grouped by NodePool, and the pods Karpenter cannot place with its reasons.

        ``available`` is false when the cluster does not serve ``karpenter.sh/v1``. Pending
        pods are the oldest ``pendingCap`` (50) of ``pendingTotal``; each has its reasons per
        NodePool (``nodePools``) parsed from Karpenter's FailedScheduling event, or the latest
        scheduling ``message`` as written when Karpenter has written none yet. Audited as
        ``karpenter_read`` with ``op`` ``list``, ``available_false`` or ``list_failed``.

        Args:
            services: The application services.
            caller: Who is asking; every list is read as them.
            request: The request (for the audit record).
            cluster: Registry name of the cluster.

        Returns:
            The overview.
        """
        resource = ResourceRef.of(NODEPOOLS)
        with audited(services, caller, request, verb="karpenter_read", cluster=cluster, resource=resource,
                     extra={"op": "list_failed"}, read=True) as action:  # fmt: skip
            overview = await services.karpenter.overview(cluster, as_=caller.as_)
            action.extra["op"] = "list" if overview.available else "available_false"
        return Response(overview, headers=NO_STORE)
