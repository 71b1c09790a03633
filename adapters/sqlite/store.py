"""Reading the audit database: filtered pages, single rows, exports and chain verification.

The store uses its own connection, opened lazily and never creating the file.
Long reads (exports, verification) go page by page so no read transaction stays
open for long: a reader that never lets go stops WAL checkpoints and the WAL
grows without bound.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncGenerator
from typing import Any

import aiosqlite
import anyio
import msgspec

from periscope_adapters.sqlite._db import open_database, storage_error
from periscope_adapters.sqlite._filters import where
from periscope_adapters.sqlite._rows import SELECT_CHAIN, SELECT_RECORD, chain_values, record
from periscope_core.domain.audit import AuditRecord
from periscope_core.domain.audit_chain import GENESIS, ChainCheckpoint, ChainVerifier, VerifyResult
from periscope_core.domain.audit_query import AuditPage, AuditQuery, encode_cursor
from periscope_core.ports.audit import AuditStore

__all__ = ["TOTAL_CAP", "SqliteAuditStore"]

TOTAL_CAP = 10_000
"""Counting stops here: an exact count of a broad filter over millions of rows costs a full scan."""
_PAGE = 1000


class SqliteAuditStore(AuditStore):
    """``count_budget``: seconds a page's total may take; past it the total is a lower bound."""

    def __init__(self, path: str, *, busy_timeout_ms: int = 5000, count_budget: float = 0.02) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._count_budget = count_budget
        self._conn: aiosqlite.Connection | None = None
        self._lock = anyio.Lock()
        # One statement at a time, so the count's progress handler never
        # interrupts somebody else's query.
        self._use = anyio.Lock()

    async def open(self) -> None:
        """Open now. Raises AuditStorageError (no such file, unreadable) or AuditSchemaTooNew."""
        await self._connection()

    async def _connection(self) -> aiosqlite.Connection:
        async with self._lock:
            if self._conn is None:
                self._conn, _ = await open_database(self.path, create=False, busy_timeout_ms=self._busy_timeout_ms)
            return self._conn

    async def _rows(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = await self._connection()
        async with self._use:
            try:
                async with conn.execute(sql, params) as cur:
                    return [tuple(r) for r in await cur.fetchall()]
            except sqlite3.Error as exc:
                raise storage_error(exc, self.path) from exc

    async def _count(self, clause: str, params: list[Any]) -> int | None:
        """Matching rows up to ``TOTAL_CAP + 1``, or None when counting would take longer than the budget."""
        conn = await self._connection()
        deadline = time.monotonic() + self._count_budget
        async with self._use:
            await conn.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
            try:
                async with conn.execute(
                    f"SELECT COUNT(*) FROM (SELECT 1 FROM audit_events{clause} LIMIT ?)", [*params, TOTAL_CAP + 1]
                ) as cur:
                    row = await cur.fetchone()
            except sqlite3.OperationalError as exc:
                if "interrupted" in str(exc):
                    return None
                raise storage_error(exc, self.path) from exc
            except sqlite3.Error as exc:
                raise storage_error(exc, self.path) from exc
            finally:
                await conn.set_progress_handler(None, 0)  # type: ignore[arg-type]
        return int(row[0]) if row else 0

    async def query(self, query: AuditQuery) -> AuditPage:
        query = query.normalized()
        clause, params = where(query)
        offset = 0 if query.cursor else query.offset
        rows = await self._rows(
            f"SELECT {SELECT_RECORD} FROM audit_events{clause} ORDER BY ts_unix_nano DESC, id DESC LIMIT ? OFFSET ?",
            [*params, query.limit + 1, offset],
        )
        page = rows[: query.limit]
        next_cursor = encode_cursor(page[-1][2], page[-1][0]) if len(rows) > query.limit else ""
        counted = await self._count(*where(query, keyset=False))
        if counted is None:  # a lower bound: what this page proves exists
            total, exact = offset + len(rows), False
        else:
            total, exact = min(counted, TOTAL_CAP), counted <= TOTAL_CAP
        return AuditPage(
            items=[record(r) for r in page], total=total, total_exact=exact,
            limit=query.limit, offset=offset, next_cursor=next_cursor,
        )  # fmt: skip

    async def get(self, record_id: int) -> AuditRecord | None:
        rows = await self._rows(f"SELECT {SELECT_RECORD} FROM audit_events WHERE id = ?", (record_id,))
        return record(rows[0]) if rows else None

    async def export(self, query: AuditQuery) -> AsyncGenerator[AuditRecord, None]:
        after = query.after_id
        while True:
            clause, params = where(msgspec.structs.replace(query, after_id=after), keyset=False)
            rows = await self._rows(
                f"SELECT {SELECT_RECORD} FROM audit_events{clause} ORDER BY id LIMIT ?", [*params, _PAGE]
            )
            for row in rows:
                yield record(row)
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

    async def verify(self, after: ChainCheckpoint | None = None) -> VerifyResult:
        anchor = await self._rows("SELECT row_id, seq, hash FROM audit_chain_anchor WHERE id = 1")
        last_id, anchor_seq, anchor_hash = anchor[0] if anchor else (0, 0, None)
        if after is not None and after.row_id >= last_id:
            # Retention has not pruned past the checkpoint: the rows before it were vouched for already.
            last_id, anchor_seq, anchor_hash = after.row_id, after.seq, after.hash
        verifier = ChainVerifier(anchor_seq=anchor_seq, anchor_hash=anchor_hash or GENESIS, anchor_row_id=last_id)
        while True:
            rows = await self._rows(
                f"SELECT id, prev_hash, hash, {SELECT_CHAIN} FROM audit_events WHERE id > ? ORDER BY id LIMIT ?",
                (last_id, _PAGE * 5),
            )
            for row in rows:
                if not verifier.feed(row_id=row[0], prev_hash=row[1] or "", row_hash=row[2] or "",
                                     fields=chain_values(row[3:])):
                    return verifier.result()
                last_id = row[0]
            if len(rows) < _PAGE * 5:
                break
        return await self._check_tail(verifier.result(), last_id)

    async def _check_tail(self, result: VerifyResult, last_id: int) -> VerifyResult:
        """Rows deleted after the last one leave no gap in the chain, but AUTOINCREMENT remembers them."""
        issued = await self._rows("SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'")
        highest = int(issued[0][0]) if issued else 0
        if highest > last_id:
            return VerifyResult(
                ok=False, rows_checked=result.rows_checked, first_broken_id=last_id + 1,
                reason=f"rows after id {last_id} were deleted (ids up to {highest} were handed out)",
            )  # fmt: skip
        return result

    async def aclose(self) -> None:
        async with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()
