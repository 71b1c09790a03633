"""How a sandbox cluster is described and seeded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from periscope_adapters.sandbox._objects import Obj

__all__ = ["ClusterSpec", "ProxyHandler", "Seeder"]

ProxyHandler = Callable[[str], tuple[int, str, bytes]]
"""What listens behind a service: the proxied path in, (status, content type, body) out."""


class Seeder(Protocol):
    """What a seed function may do to its freshly started cluster."""

    def create(self, obj: Obj) -> Obj: ...

    def set_status(self, obj: Obj, status: Obj) -> Obj: ...

    def add_crd(self, crd: Obj) -> None: ...

    def now(self) -> str:
        """The cluster's clock as an RFC 3339 timestamp (backdated while seeding)."""
        ...

    def event(
        self, obj: Obj, reason: str, message: str, *, warning: bool, component: str, count: int
    ) -> None: ...

    def serve_proxy(self, namespace: str, service: str, port: str, handler: ProxyHandler) -> None:
        """Make ``services/<service>:<port>/proxy/...`` answer with ``handler(path)``."""
        ...


@dataclass(frozen=True)
class ClusterSpec:
    """One sandbox cluster: its registry metadata and how to seed it."""

    name: str
    seed: Callable[[Seeder], None]
    environment: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    age: timedelta = timedelta(days=3)
    """How long ago the seeded objects were created, so the demo does not look brand new."""
