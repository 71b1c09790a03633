"""The SQLite audit sink: batched, hash-chained appends, plus the retention and checkpoint loop.

The sink owns the only writing connection. It opens (and migrates) the database
lazily, so a database that cannot be opened yet (read-only volume, directory
missing permissions) is retried by the pipeline like any failed write; after
any error but a busy lock the connection is dropped and reopened next time.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import aiosqlite
import anyio
from anyio.abc import TaskStatus

from periscope_adapters.sqlite._db import open_database, storage_error
from periscope_adapters.sqlite._retention import PruneResult, checkpoint, prune
from periscope_adapters.sqlite._rows import INSERT, insert_rows
from periscope_core.domain.audit import AuditEvent, AuditSettings, AuditStorageError, to_unix_nanos
from periscope_core.domain.audit_chain import GENESIS
from periscope_core.ports.audit import AuditSink, SinkDetail

__all__ = ["SqliteAuditSink"]

log = logging.getLogger("periscope.audit")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SqliteAuditSink(AuditSink):
    name = "sqlite"

    def __init__(self, path: str, *, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._conn: aiosqlite.Connection | None = None
        self._lock = anyio.Lock()
        self._schema_found: int | None = None
        self._last_prune: PruneResult | None = None

    async def open(self) -> None:
        """Open and migrate now rather than at the first write, to fail fast at start-up.

        Raises AuditSchemaTooNew (the process should refuse to start) or
        AuditStorageError (it may start; writes are retried).
        """
        async with self._lock:
            await self._connection()

    async def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            self._conn, self._schema_found = await open_database(
                self.path, create=True, busy_timeout_ms=self._busy_timeout_ms, cache_mb=64)  # fmt: skip
        return self._conn

    async def _drop(self, exc: BaseException) -> None:
        """After a failed write: roll back; reopen next time unless the database was merely busy."""
        conn = self._conn
        if conn is None:
            return
        try:
            await conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # no transaction open, or the connection is unusable anyway
        if storage_error(exc, self.path).problem != "locked":
            self._conn = None
            try:
                await conn.close()
            except sqlite3.Error:
                pass

    async def write_batch(self, events: Sequence[AuditEvent]) -> None:
        if not events:
            return
        async with self._lock:
            # Once started, a batch commits or rolls back as a whole even if the
            # caller is cancelled; otherwise a retry could store it twice.
            with anyio.CancelScope(shield=True):
                try:
                    conn = await self._connection()
                    await conn.execute("BEGIN IMMEDIATE")
                    seq, head = await self._head(conn)
                    rows, _, _ = insert_rows(events, seq=seq, prev_hash=head)
                    await conn.executemany(INSERT, rows)
                    await conn.execute("COMMIT")
                except (sqlite3.Error, OSError) as exc:
                    await self._drop(exc)
                    raise storage_error(exc, self.path) from exc

    @staticmethod
    async def _head(conn: aiosqlite.Connection) -> tuple[int, str]:
        """The (seq, hash) the next row links to: the last row, else the anchor, else genesis."""
        for sql in ("SELECT seq, hash FROM audit_events ORDER BY id DESC LIMIT 1",
                    "SELECT seq, hash FROM audit_chain_anchor WHERE id = 1"):
            async with conn.execute(sql) as cur:
                row = await cur.fetchone()
            if row is not None:
                return int(row[0]), str(row[1])
        return 0, GENESIS

    async def prune(self, *, now: datetime, retention_days: int, max_size_mb: int) -> PruneResult:
        """One retention pass (0 disables a cap). Raises AuditStorageError."""
        async with self._lock:
            try:
                conn = await self._connection()
                result = await prune(conn, now_ns=to_unix_nanos(now), retention_days=retention_days,
                                     max_size_mb=max_size_mb)
            except (sqlite3.Error, OSError) as exc:
                await self._drop(exc)
                raise storage_error(exc, self.path) from exc
        self._last_prune = result
        return result

    async def checkpoint(self) -> None:
        """Truncate the WAL so it stays bounded even under steady writes. Raises AuditStorageError."""
        async with self._lock:
            try:
                await checkpoint(await self._connection())
            except sqlite3.Error as exc:
                await self._drop(exc)
                raise storage_error(exc, self.path) from exc

    async def maintain(
        self,
        settings: AuditSettings,
        *,
        checkpoint_interval: float = 60.0,
        first_pass_budget: float = 30.0,
        clock: Callable[[], datetime] = _utcnow,
        task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Run retention passes (the first bounded by ``first_pass_budget``) and WAL checkpoints until cancelled."""
        task_status.started()
        next_pass = anyio.current_time()
        budget: float | None = first_pass_budget
        while True:
            if anyio.current_time() >= next_pass:
                await self._retention_pass(settings, clock(), budget)
                budget = None
                next_pass = anyio.current_time() + settings.vacuum_interval
            try:
                await self.checkpoint()
            except AuditStorageError as exc:
                log.warning("audit WAL checkpoint failed: %s", exc.message)
            await anyio.sleep(max(0.0, min(checkpoint_interval, next_pass - anyio.current_time())))

    async def _retention_pass(self, settings: AuditSettings, now: datetime, budget: float | None) -> None:
        with anyio.move_on_after(budget if budget is not None else float("inf")) as scope:
            try:
                result = await self.prune(now=now, retention_days=settings.retention_days,
                                          max_size_mb=settings.max_size_mb)
            except AuditStorageError as exc:
                log.warning("audit retention pass failed: %s", exc.message)
                return
            if result.vacuumed:
                log.info("audit retention: deleted %d rows by age and %d by size; %d -> %d bytes",
                         result.by_age, result.by_size, result.bytes_before, result.bytes_after)
        if scope.cancelled_caught:
            log.warning("audit retention pass stopped after %.0fs; the next one finishes the work", budget)

    async def aclose(self) -> None:
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                try:
                    await checkpoint(conn)
                except sqlite3.Error:
                    pass  # a reader holds the WAL; it is folded in at the next open
                await conn.close()

    def health(self) -> SinkDetail:
        def size(path: str) -> int | None:
            try:
                return os.stat(path).st_size
            except OSError:
                return None

        detail: dict[str, str | int | float | bool | None] = {
            "path": self.path,
            "open": self._conn is not None,
            "db_bytes": size(self.path),
            "wal_bytes": size(self.path + "-wal"),
        }
        if self._last_prune is not None:
            detail["last_prune_deleted"] = self._last_prune.by_age + self._last_prune.by_size
        return detail
