"""Dependency providers: the services, and who is calling.

Identity is resolved in exactly one provider (``provide_caller``) so the identity
feature can swap dev mode for sessions without touching a controller.
"""

from __future__ import annotations

import msgspec
from litestar.di import Provide

from periscope_core.domain.identity import Impersonation, Principal
from periscope_entrypoints.bootstrap import Services

__all__ = ["Caller", "dependencies"]


class Caller(msgspec.Struct, frozen=True):
    """The human behind the request and the identity cluster calls are made as."""

    principal: Principal
    as_: Impersonation


def dependencies(services: Services) -> dict[str, Provide]:
    """The app-wide providers for ``services``."""

    def provide_services() -> Services:
        return services

    async def provide_caller() -> Caller:
        # Dev mode: everyone is the configured principal, and clusters see the bridge.
        principal, as_ = services.dev_identity()
        return Caller(principal=principal, as_=as_)

    return {
        "services": Provide(provide_services, sync_to_thread=False),
        "caller": Provide(provide_caller),
    }
