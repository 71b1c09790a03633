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
            verbose: Present (any value) to add the version, the number of clusters and the audit pipeline.

        Returns:
            ``{"status": "ok"}``, with details when asked.
        """
        if verbose is None:
            return HealthResponse(status="ok")
        clusters = len(services.directory.entries())
        return HealthResponse(status="ok", version=services.settings.version, clusters=clusters,
                              audit=services.audit.health())
