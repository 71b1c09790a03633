"""The audit database, when ``PERISCOPE_AUDIT_ENABLED=true``: opened at start-up, maintained while serving.

A database written by a newer Periscope stops the start-up (``AuditSchemaTooNew``).
Any other problem opening it (read-only volume, locked file) is only logged: the
server starts, rows stay queued in the pipeline and their writes are retried.
"""

from __future__ import annotations

import logging

import anyio
from anyio.abc import TaskStatus

from periscope_core.domain.audit import AuditSchemaTooNew, AuditSettings, AuditStorageError
from periscope_core.ports.audit import AuditSink, AuditStore

__all__ = ["AuditStorage", "open_audit_storage"]

log = logging.getLogger("periscope.audit")


class AuditStorage:
    """The SQLite sink the pipeline writes to and the store queries read from."""

    def __init__(self, settings: AuditSettings) -> None:
        # Imported here: the SQLite adapter (aiosqlite) is the optional ``audit`` extra.
        from periscope_adapters.sqlite import SqliteAuditSink, SqliteAuditStore

        self.settings = settings
        self._sink = SqliteAuditSink(settings.db_path)
        self.store: AuditStore = SqliteAuditStore(settings.db_path)

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
        """Retention passes and WAL checkpoints until cancelled; stop it before the sink closes."""
        await self._sink.maintain(self.settings, task_status=task_status)

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
