"""Retention passes: delete the oldest rows by age and by size, keeping the chain verifiable.

Rows are only ever deleted as a prefix in id order, never from the middle, and in
the same transaction the last deleted row becomes the chain's anchor; so after
any pass the remaining rows still verify from the anchor. Age pruning stops at
the first row (in id order) that is still young enough, so a row stamped slightly
out of order may outlive the cut-off by a few milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
import anyio
import msgspec

__all__ = ["PruneResult", "checkpoint", "database_bytes", "prune"]

_NANOS_PER_DAY = 86_400 * 10**9
# The original product's slack: delete a tenth more than the excess, so the next
# few writes do not trigger another pass straight away.
_SIZE_SLACK = 1.1


class PruneResult(msgspec.Struct, frozen=True, kw_only=True):
    by_age: int = 0
    by_size: int = 0
    vacuumed: bool = False
    bytes_before: int = 0
    bytes_after: int = 0


async def _one(conn: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    async with conn.execute(sql, params) as cur:
        row = await cur.fetchone()
    return tuple(row) if row is not None else None


async def _interrupt(conn: aiosqlite.Connection) -> None:
    # Cancelling the await does not stop the statement in the connection's
    # thread; interrupting does, and ROLLBACK is queued behind it.
    with anyio.CancelScope(shield=True):
        await conn.interrupt()
        try:
            await conn.execute("ROLLBACK")
        except Exception:  # no transaction was open
            pass


@asynccontextmanager
async def _transaction(conn: aiosqlite.Connection) -> AsyncIterator[None]:
    await conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        await _interrupt(conn)
        raise
    await conn.execute("COMMIT")


async def database_bytes(conn: aiosqlite.Connection, *, used_only: bool = False) -> int:
    """The main database file's size (``used_only``: without free pages)."""
    count = await _one(conn, "PRAGMA page_count")
    size = await _one(conn, "PRAGMA page_size")
    free = await _one(conn, "PRAGMA freelist_count") if used_only else (0,)
    return (int(count[0]) - int(free[0])) * int(size[0]) if count and size and free else 0


async def _delete_before(conn: aiosqlite.Connection, first_kept: int | None, now_ns: int) -> int:
    """Delete every row with an id below ``first_kept`` (all rows when None), moving the anchor."""
    if first_kept is None:
        last = await _one(conn, "SELECT id, seq, hash FROM audit_events ORDER BY id DESC LIMIT 1")
    else:
        last = await _one(conn, "SELECT id, seq, hash FROM audit_events WHERE id < ? ORDER BY id DESC LIMIT 1",
                          (first_kept,))
    if last is None:
        return 0
    cur = await conn.execute("DELETE FROM audit_events WHERE id <= ?", (last[0],))
    deleted = cur.rowcount
    await cur.close()
    await conn.execute(
        "INSERT INTO audit_chain_anchor (id, row_id, seq, hash, pruned_at, rows_pruned) VALUES (1, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET row_id = excluded.row_id, seq = excluded.seq, hash = excluded.hash, "
        "pruned_at = excluded.pruned_at, rows_pruned = rows_pruned + excluded.rows_pruned",
        (last[0], last[1], last[2], now_ns, deleted),
    )
    return deleted


async def _prune_by_age(conn: aiosqlite.Connection, *, now_ns: int, retention_days: int) -> int:
    cutoff = now_ns - retention_days * _NANOS_PER_DAY
    async with _transaction(conn):
        # NOT INDEXED: walk in id order and stop at the first young row, instead
        # of collecting every young row through the timestamp index.
        first = await _one(conn, "SELECT id FROM audit_events NOT INDEXED WHERE ts_unix_nano >= ? ORDER BY id "
                                 "LIMIT 1", (cutoff,))
        return await _delete_before(conn, first[0] if first else None, now_ns)


async def _prune_by_size(conn: aiosqlite.Connection, *, now_ns: int, max_bytes: int) -> int:
    async with _transaction(conn):
        used = await database_bytes(conn, used_only=True)
        if used <= max_bytes:
            return 0
        counted = await _one(conn, "SELECT COUNT(*) FROM audit_events")
        rows = int(counted[0]) if counted else 0
        excess = math.ceil(rows * (used - max_bytes) / used * _SIZE_SLACK)
        if excess <= 0:
            return 0
        first = await _one(conn, "SELECT id FROM audit_events ORDER BY id LIMIT 1 OFFSET ?", (excess,))
        return await _delete_before(conn, first[0] if first else None, now_ns)


async def checkpoint(conn: aiosqlite.Connection) -> None:
    """Fold the WAL back into the database and truncate it (a busy reader just makes it a no-op)."""
    await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def prune(conn: aiosqlite.Connection, *, now_ns: int, retention_days: int, max_size_mb: int) -> PruneResult:
    """One retention pass; 0 disables a cap. VACUUMs and truncates the WAL only if rows were deleted."""
    before = await database_bytes(conn)
    by_age = await _prune_by_age(conn, now_ns=now_ns, retention_days=retention_days) if retention_days else 0
    by_size = await _prune_by_size(conn, now_ns=now_ns, max_bytes=max_size_mb << 20) if max_size_mb else 0
    if not (by_age or by_size):
        return PruneResult(bytes_before=before, bytes_after=before)
    try:
        await conn.execute("VACUUM")
    except BaseException:
        await _interrupt(conn)
        raise
    await checkpoint(conn)
    return PruneResult(by_age=by_age, by_size=by_size, vacuumed=True, bytes_before=before,
                       bytes_after=await database_bytes(conn))
