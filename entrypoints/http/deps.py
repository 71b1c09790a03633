"""Dependency providers: the services, and who is calling.

Who is calling is decided once per request, by the session gate
(``periscope_entrypoints.http.session_gate``), before any handler runs; the
providers here only hand its answer to the handlers.
"""

from __future__ import annotations

import msgspec
from litestar.di import Provide
from litestar.types import Scope

from periscope_core.domain.errors import Unauthenticated
from periscope_core.domain.identity import Impersonation, Principal
from periscope_entrypoints.bootstrap import Services

__all__ = ["CALLER_STATE", "Caller", "caller_of", "dependencies"]

CALLER_STATE = "periscope.caller"


class Caller(msgspec.Struct, frozen=True):
    """The human behind the request and the identity cluster calls are made as."""

    principal: Principal
    as_: Impersonation
    expires_at: float = 0.0
    """When the session ends (epoch seconds); 0 in dev mode, which has no sessions."""


def caller_of(scope: Scope) -> Caller | None:
    """Who the session gate signed in for this request, if anybody."""
    caller = scope.get("state", {}).get(CALLER_STATE)
    return caller if isinstance(caller, Caller) else None


def dependencies(services: Services) -> dict[str, Provide]:
    """The app-wide providers for ``services``."""

    def provide_services() -> Services:
        return services

    def provide_caller(scope: Scope) -> Caller:
        caller = caller_of(scope)
        if caller is None:
            raise Unauthenticated("missing")
        return caller

    def provide_maybe_caller(scope: Scope) -> Caller | None:
        return caller_of(scope)

    return {
        "services": Provide(provide_services, sync_to_thread=False),
        "caller": Provide(provide_caller, sync_to_thread=False),
        "maybe_caller": Provide(provide_maybe_caller, sync_to_thread=False),
    }
