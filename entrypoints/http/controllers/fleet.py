"""``/api/fleet``: every registered cluster's health, each asked as the caller."""

from __future__ import annotations

from litestar import Controller, Response, get

from periscope_core.domain.authz import stream_identity
from periscope_core.services.fleet import Fleet
from periscope_entrypoints.http.controllers.editing import NO_STORE
from periscope_entrypoints.http.params import CallerDep, ServicesDep


class FleetController(Controller):
    path = "/api/fleet"
    tags = ["clusters"]

    @get("/", operation_id="getFleet")
    async def fleet(self, services: ServicesDep, caller: CallerDep) -> Response[Fleet]:
        """Health of every registered cluster, asked in parallel under the caller's identity.

        A cluster that fails or does not answer in time becomes an entry with ``status``
        (``unreachable``, ``unknown`` or ``denied``) and ``error{code, message}``, with code
        ``denied``, ``auth_failed``, ``timeout``, ``apiserver_unreachable`` or ``unknown``;
        the others answer as usual. Answers are reused for 10 s per identity and cluster.

        Args:
            services: The application services.
            caller: Who is asking; each cluster is asked as them (as their tier in tier mode).

        Returns:
            ``clusters`` in registry order, and a ``rollup`` of counts by status and environment.
        """
        # Tier users share an identity on the clusters, so they share cached answers too.
        as_ = stream_identity(caller.as_, services.identity.config.authorization)
        return Response(await services.fleet.fleet(as_=as_), headers=NO_STORE)
