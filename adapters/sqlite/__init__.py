"""SQLite audit storage on aiosqlite: the sink that appends, the store that reads back.

    sink = SqliteAuditSink(settings.db_path)
    await sink.open()                      # AuditSchemaTooNew: refuse to start
    store = SqliteAuditStore(settings.db_path)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from periscope_adapters.sqlite._db import LATEST_VERSION
from periscope_adapters.sqlite._retention import PruneResult
from periscope_adapters.sqlite.sink import SqliteAuditSink
from periscope_adapters.sqlite.store import TOTAL_CAP, SqliteAuditStore
from periscope_core.domain.audit import AuditSettings
from periscope_core.domain.audit_chain import VerifyResult

__all__ = [
    "LATEST_VERSION",
    "TOTAL_CAP",
    "PruneResult",
    "SqliteAuditSink",
    "SqliteAuditStore",
    "startup_warnings",
    "verify",
]


async def verify(db: str | Path) -> VerifyResult:
    """Walk the hash chain of the database file ``db``. Raises AuditStorageError if it cannot be read."""
    store = SqliteAuditStore(str(db))
    try:
        return await store.verify()
    finally:
        await store.aclose()


def startup_warnings(settings: AuditSettings) -> list[str]:
    """The settings' start-up warnings, measured against the free space where the database lives."""
    directory = Path(settings.db_path).parent
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    try:
        free: int | None = shutil.disk_usage(directory).free
    except OSError:
        free = None
    return settings.startup_warnings(free_disk_bytes=free)
