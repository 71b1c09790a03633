"""The audit database, when ``PERISCOPE_AUDIT_ENABLED=true``: opened at start-up, maintained while serving.

A database written by a newer Periscope stops the start-up (``AuditSchemaTooNew``).
Any other problem opening it (read-only volume, locked file) is only logged: the
server starts, rows stay queued in the pipeline and their writes are retried.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime

import anyio
import msgspec
from anyio.abc import TaskStatus

from periscope_core.domain.audit import AuditSchemaTooNew, AuditSettings, AuditStorageError
from periscope_core.domain.audit_chain import ChainCheckpoint
from periscope_core.ports.audit import AuditSink, AuditStore

__all__ = ["AuditStorage", "ChainStatus", "open_audit_storage"]

log = logging.getLogger("periscope.audit")


class ChainStatus(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """What the last check of the hash chain found (``/healthz?verbose``)."""

    ok: bool
    checked_at: datetime
    verified_through_id: int = 0
    """The newest row the chain vouches for."""
    first_broken_id: int | None = None
    reason: str = ""


class AuditStorage:
    """The SQLite sink the pipeline writes to and the store queries read from."""

    def __init__(self, settings: AuditSettings) -> None:
        # Imported here: the SQLite adapter (aiosqlite) is the optional ``audit`` extra.
        from periscope_adapters.sqlite import SqliteAuditSink, SqliteAuditStore

        self.settings = settings
        self._sink = SqliteAuditSink(settings.db_path)
        self.store: AuditStore = SqliteAuditStore(settings.db_path)
        self.chain: ChainStatus | None = None
        """None until the first check has run."""
        self._checkpoint: ChainCheckpoint | None = None
        self._last_full_walk = -math.inf

    @property
    def sink(self) -> AuditSink:
        return self._sink

    async def open(self) -> None:
        """Open and migrate the database; raises AuditSchemaTooNew, logs any other storage error."""
        try:
            await self._sink.open()
        except AuditSchemaTooNew:
            raise
        except AuditStorageError as exc:
            log.error("audit database cannot be opened yet (%s); rows stay queued and writes are retried",
                      exc.message)

    async def maintain(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Retention passes, WAL checkpoints and chain checks until cancelled; stop it before the sink closes."""
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch_chain)
            await self._sink.maintain(self.settings, task_status=task_status)

    async def check_chain(self) -> ChainStatus:
        """Verify the rows written since the last check, or the whole chain when a full walk is due (the
        first check, then every ``chain_full_check_interval``); a break stays reported."""
        if self.chain is not None and not self.chain.ok:
            return self.chain
        now = anyio.current_time()
        full = now - self._last_full_walk >= self.settings.chain_full_check_interval
        try:
            result = await self.store.verify(after=None if full else self._checkpoint)
        except AuditStorageError as exc:
            log.warning("audit chain check skipped: %s", exc.message)
            return self.chain or ChainStatus(ok=True, checked_at=datetime.now(UTC))
        self._checkpoint = result.checkpoint or self._checkpoint
        if full:
            self._last_full_walk = now
        through = self._checkpoint.row_id if self._checkpoint else 0
        self.chain = ChainStatus(ok=result.ok, checked_at=datetime.now(UTC), verified_through_id=through,
                                 first_broken_id=result.first_broken_id, reason=result.reason)  # fmt: skip
        if not result.ok:
            log.error("audit chain broken at row %s: %s (run `periscope audit verify`)", result.first_broken_id,
                      result.reason)
        return self.chain

    async def _watch_chain(self) -> None:
        # Each check reads only the rows added since the previous one, so a short interval stays cheap.
        while True:
            await self.check_chain()
            await anyio.sleep(self.settings.chain_check_interval)

    async def aclose(self) -> None:
        """Close the reading side; the pipeline closes the sink after its last write."""
        await self.store.aclose()


async def open_audit_storage(settings: AuditSettings) -> AuditStorage | None:
    """The opened storage, or None when audit storage is off; logs the start-up warnings."""
    if not settings.enabled:
        return None
    from periscope_adapters.sqlite import startup_warnings

    for warning in startup_warnings(settings):
        log.warning("audit: %s", warning)
    storage = AuditStorage(settings)
    await storage.open()
    return storage
