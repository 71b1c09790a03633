"""An in-memory audit sink, for tests that assert which events a feature emitted."""

from __future__ import annotations

from collections.abc import Sequence

import anyio

from periscope_core.domain.audit import AuditEvent, AuditStorageError
from periscope_core.ports.audit import AuditSink, SinkDetail

__all__ = ["MemoryAuditSink"]


class MemoryAuditSink(AuditSink):
    """Keeps every written event; can be made to fail, or to hold writes until released.

    ``failure``: raised by every write while set. ``fail_times``: the next N writes
    fail with a "locked" storage error. ``gate``: while set and not yet fired,
    writes wait for it.
    """

    name = "memory"

    def __init__(self, *, fail_times: int = 0) -> None:
        self.events: list[AuditEvent] = []
        self.batches: list[list[AuditEvent]] = []
        self.attempts = 0
        self.failure: Exception | None = None
        self.fail_times = fail_times
        self.gate: anyio.Event | None = None
        self.closed = False

    async def write_batch(self, events: Sequence[AuditEvent]) -> None:
        self.attempts += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        if self.fail_times > 0:
            self.fail_times -= 1
            raise AuditStorageError("database is locked", problem="locked")
        self.batches.append(list(events))
        self.events.extend(events)

    async def aclose(self) -> None:
        self.closed = True

    def health(self) -> SinkDetail:
        return {"stored": len(self.events)}
