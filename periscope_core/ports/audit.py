"""The audit ports: where events are written (sinks) and where they are read back (stores).

A sink only ever appends. The pipeline owns retries, so a sink reports a failed
batch by raising and is handed the same batch again later; it must therefore
store a batch whole or not at all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping, Sequence

from periscope_core.domain.audit import AuditEvent, AuditRecord
from periscope_core.domain.audit_chain import ChainCheckpoint, VerifyResult
from periscope_core.domain.audit_query import AuditPage, AuditQuery

__all__ = ["AuditSink", "AuditStore", "SinkDetail"]

SinkDetail = Mapping[str, str | int | float | bool | None]


class AuditSink(ABC):
    """Somewhere audit events are written: the log stream, a database, a SIEM."""

    name: str

    @abstractmethod
    async def write_batch(self, events: Sequence[AuditEvent]) -> None:
        """Store every event of the batch, in order, or none of them.

        Raises AuditStorageError when the batch could not be stored (database
        locked, disk full, read-only); the caller keeps the events and retries.
        Any other exception is treated the same way.
        """

    async def flush(self) -> None:
        """Push anything buffered to durable storage."""
        return None

    async def aclose(self) -> None:
        """Release the sink's resources; idempotent. Called after the last write."""
        return None

    def health(self) -> SinkDetail:
        """Facts worth showing on a verbose health page (path, size, schema version)."""
        return {}


class AuditStore(ABC):
    """Stored audit events, read back. Visibility rules are applied by the caller."""

    @abstractmethod
    async def query(self, query: AuditQuery) -> AuditPage:
        """One page of matching events, newest first.

        Raises InvalidRequest for a malformed cursor, AuditStorageError when the
        store cannot be read.
        """

    @abstractmethod
    async def get(self, record_id: int) -> AuditRecord | None:
        """One stored event, or None when there is no such row."""

    @abstractmethod
    def export(self, query: AuditQuery) -> AsyncGenerator[AuditRecord, None]:
        """Every matching event, oldest first; ``limit``, ``offset`` and ``cursor`` are ignored.

        Rows are read in pages, so a slow consumer holds no long read transaction;
        a consumer that stops early closes the generator.
        """

    @abstractmethod
    async def verify(self, after: ChainCheckpoint | None = None) -> VerifyResult:
        """Walk the hash chain and report the first broken link: from ``after`` (a checkpoint an
        earlier verification returned) when it is still past the anchor, else from the anchor."""

    async def aclose(self) -> None:
        """Release the store's resources; idempotent."""
        return None
