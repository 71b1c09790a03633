"""Liveness: the process answers; it does not check the clusters."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromQuery

from periscope_entrypoints.http.params import ServicesDep
from periscope_entrypoints.http.schemas import HealthResponse


class HealthController(Controller):
    path = "/healthz"
    tags = ["health"]

    @get("/", operation_id="getHealth")
    async def health(
        self, services: ServicesDep, verbose: FromQuery[str | None] = None
    ) -> HealthResponse:
        """Report that the server is up.

        Args:
            services: The application services.
            verbose: Present (any value) to add the version, the number of clusters, the audit pipeline
                and the last check of the audit hash chain.

        Returns:
            ``{"status": "ok"}``, with details when asked.
        """
        if verbose is None:
            return HealthResponse(status="ok")
        clusters = len(services.directory.entries())
        storage = services.audit_storage
        return HealthResponse(status="ok", version=services.settings.version, clusters=clusters,
                              audit=services.audit.health(), audit_chain=storage.chain if storage else None)
