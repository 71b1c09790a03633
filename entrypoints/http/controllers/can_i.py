"""RBAC pre-flight: which of these actions may the caller take on this cluster?

The answers come from the cluster itself (self-subject reviews made as the caller),
so the UI can hide or disable what RBAC would refuse. Nobody signed in is denied
everything, with the reason ``unauthenticated``.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from periscope_core.domain.errors import InvalidRequest
from periscope_core.services.can_i import MAX_CHECKS, AccessCheck, CheckResult
from periscope_entrypoints.http.deps import Caller
from periscope_entrypoints.http.params import PathStr, ServicesDep
from periscope_entrypoints.http.session_gate import SESSION_OPT

__all__ = ["CanIController", "CanIRequest", "CanIResponse"]

UNAUTHENTICATED = "unauthenticated"
MaybeCallerDep = NamedDependency[Caller | None]


class CanIRequest(msgspec.Struct):
    checks: list[AccessCheck]


class CanIResponse(msgspec.Struct):
    results: list[CheckResult]


class CanIController(Controller):
    path = "/api/clusters/{cluster:str}/can-i"
    tags = ["authorization"]
    opt = {SESSION_OPT: "optional"}

    @post("/", operation_id="canI", status_code=HTTP_200_OK)
    async def can_i(
        self, services: ServicesDep, maybe_caller: MaybeCallerDep, cluster: PathStr, data: JSONBody[CanIRequest]
    ) -> CanIResponse:
        """Answer up to 64 access checks, in order; failures fail closed with a reason.

        Args:
            services: The application services.
            maybe_caller: Who is asking, if anybody is signed in.
            cluster: The cluster name.
            data: ``checks``: verb, group, resource and optionally subresource, namespace, name.

        Returns:
            One ``{allowed, reason, namespaces}`` per check; a denied namespaced check lists
            the namespaces where the same action is allowed.
        """
        if len(data.checks) > MAX_CHECKS:
            raise InvalidRequest(f"too many checks (limit {MAX_CHECKS})")
        services.directory.entry(cluster)
        if maybe_caller is None:
            return CanIResponse([CheckResult(allowed=False, reason=UNAUTHENTICATED) for _ in data.checks])
        client = await services.directory.client(cluster)
        results = await services.identity.can_i.check(client, data.checks, as_=maybe_caller.as_)
        return CanIResponse(results)
