"""The cluster registry as the UI sees it: names and labels, never server paths."""

from __future__ import annotations

from litestar import Controller, get

from periscope_core.domain.clusters import ClusterSummary
from periscope_entrypoints.http.params import ServicesDep
from periscope_entrypoints.http.schemas import ClustersResponse


class ClustersController(Controller):
    path = "/api/clusters"
    tags = ["clusters"]

    @get("/", operation_id="listClusters")
    async def list_clusters(self, services: ServicesDep) -> ClustersResponse:
        """List the registered clusters, without contacting any of them.

        Args:
            services: The application services.

        Returns:
            Every registry entry as a summary (no kubeconfig paths).
        """
        return ClustersResponse(clusters=[ClusterSummary.of(e) for e in services.directory.entries()])
