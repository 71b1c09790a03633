"""How a sandbox cluster is described and seeded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from periscope_adapters.sandbox._objects import Obj

__all__ = ["ClusterSpec", "Seeder"]


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


@dataclass(frozen=True)
class ClusterSpec:
    """One sandbox cluster: its registry metadata and how to seed it."""

    name: str
    seed: Callable[[Seeder], None]
    environment: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    age: timedelta = timedelta(days=3)
    """How long ago the seeded objects were created, so the demo does not look brand new."""
