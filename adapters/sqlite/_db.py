"""Opening the audit database: pragmas, error translation and ``user_version`` migrations.

Migrations are the numbered ``migrations/NNNN_*.sql`` files shipped with the
package. Each runs in its own ``BEGIN IMMEDIATE`` transaction together with the
``user_version`` bump, so a crash leaves the database at a whole version. A
database whose version is newer than the last file is refused: an older binary
must not write rows a newer one would misread.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import aiosqlite
import anyio

from periscope_adapters.sqlite._rows import SELECT_CHAIN, chain_values
from periscope_core.domain.audit import AuditSchemaTooNew, AuditStorageError, StorageProblem
from periscope_core.domain.audit_chain import GENESIS, chain_hash

__all__ = ["LATEST_VERSION", "connect", "migrate", "open_database", "storage_error"]

log = logging.getLogger("periscope.audit")

_PROBLEMS: dict[str, StorageProblem] = {
    "SQLITE_BUSY": "locked",
    "SQLITE_LOCKED": "locked",
    "SQLITE_FULL": "disk_full",
    "SQLITE_READONLY": "read_only",
    "SQLITE_CANTOPEN": "unavailable",
    "SQLITE_PERM": "read_only",
    "SQLITE_CORRUPT": "corrupt",
    "SQLITE_NOTADB": "corrupt",
}


def _load_migrations() -> list[str]:
    files = sorted(
        (f for f in resources.files(__package__).joinpath("migrations").iterdir() if f.name.endswith(".sql")),
        key=lambda f: f.name,
    )
    for number, f in enumerate(files, start=1):
        if not f.name.startswith(f"{number:04d}_"):
            raise RuntimeError(f"audit migration {f.name} is out of sequence (expected {number:04d}_*.sql)")
    return [f.read_text(encoding="utf-8") for f in files]


_MIGRATIONS = _load_migrations()
LATEST_VERSION = len(_MIGRATIONS)


def storage_error(exc: BaseException, path: str) -> AuditStorageError:
    """A sqlite3 or OS error as the core's AuditStorageError, its problem named for health reports."""
    if isinstance(exc, AuditStorageError):
        return exc
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        problem = next((p for prefix, p in _PROBLEMS.items() if name.startswith(prefix)), None)
        if problem is None:
            problem = "disk_full" if "full" in str(exc) else "unavailable"
        return AuditStorageError(f"audit database {path}: {exc} ({name or type(exc).__name__})", problem=problem)
    if isinstance(exc, OSError):
        problem = "read_only" if isinstance(exc, PermissionError) else "unavailable"
        return AuditStorageError(f"audit database {path}: {exc}", problem=problem)
    return AuditStorageError(f"audit database {path}: {type(exc).__name__}: {exc}", problem="unavailable")


def _uri(path: str, create: bool) -> str:
    if create:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return f"file:{quote(str(Path(path).absolute()))}?mode={'rwc' if create else 'rw'}"


async def connect(
    path: str, *, create: bool, busy_timeout_ms: int = 5000, cache_mb: int = 16
) -> aiosqlite.Connection:
    """An autocommit connection (transactions are explicit) in WAL mode with NORMAL sync.

    ``create``: make the directory and the file if missing; otherwise a missing
    file is an error rather than a new empty database. Raises AuditStorageError.
    """
    try:
        conn = await aiosqlite.connect(_uri(path, create), uri=True, isolation_level=None, iter_chunk_size=1000)
    except (OSError, sqlite3.Error) as exc:
        raise storage_error(exc, path) from exc
    try:
        await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute(f"PRAGMA cache_size = -{int(cache_mb) * 1024}")
        # Every checkpoint syncs the WAL and the database; with random-key indexes
        # (request ids) each row dirties several pages, so the default of 1000 pages
        # checkpoints every few batches. 10000 pages bounds the WAL near 40 MB, and
        # the sink's maintenance loop truncates it every minute.
        await conn.execute("PRAGMA wal_autocheckpoint = 10000")
    except sqlite3.Error as exc:
        await conn.close()
        raise storage_error(exc, path) from exc
    return conn


async def user_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection, path: str) -> int:
    """Bring the schema to ``LATEST_VERSION``; returns the version found. Raises AuditSchemaTooNew."""
    found = await user_version(conn)
    if found > LATEST_VERSION:
        raise AuditSchemaTooNew(path, found, LATEST_VERSION)
    for version in range(found + 1, LATEST_VERSION + 1):
        await conn.execute("BEGIN IMMEDIATE")
        try:
            current = await user_version(conn)  # another process may have migrated meanwhile
            if current >= version:
                await conn.execute("ROLLBACK")
                continue
            for statement in _statements(_MIGRATIONS[version - 1]):
                await conn.execute(statement)
            if (after := _AFTER.get(version)) is not None:
                await after(conn)
            await conn.execute(f"PRAGMA user_version = {version}")
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        log.info("audit database %s migrated to schema version %d", path, version)
    return found



async def open_database(
    path: str, *, create: bool, busy_timeout_ms: int, cache_mb: int = 16
) -> tuple[aiosqlite.Connection, int]:
    """A connection with the schema brought up to date, and the version found before.

    A connection whose migration fails is closed (even under cancellation) before the
    error leaves, as AuditStorageError or AuditSchemaTooNew.
    """
    conn = await connect(path, create=create, busy_timeout_ms=busy_timeout_ms, cache_mb=cache_mb)
    try:
        return conn, await migrate(conn, path)
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            await conn.close()
        if isinstance(exc, sqlite3.Error):
            raise storage_error(exc, path) from exc
        raise

def _statements(script: str) -> list[str]:
    out: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    leftover = "\n".join(ln for ln in buffer.splitlines() if not ln.strip().startswith("--")).strip()
    if leftover:
        raise RuntimeError(f"incomplete SQL statement in an audit migration: {leftover[:80]!r}")
    return out


async def _chain_existing_rows(conn: aiosqlite.Connection) -> None:
    """Rows written before the hash chain existed join it, in id order, as they are now."""
    seq, prev, last_id = 0, GENESIS, 0
    while True:
        async with conn.execute(
            f"SELECT id, {SELECT_CHAIN} FROM audit_events WHERE id > ? ORDER BY id LIMIT 5000", (last_id,)
        ) as cur:
            rows = list(await cur.fetchall())
        if not rows:
            break
        updates: list[tuple[int, str, str, int]] = []
        for row in rows:
            seq += 1
            digest = chain_hash(prev, chain_values((seq, *row[2:])))
            updates.append((seq, prev, digest, row[0]))
            prev, last_id = digest, row[0]
        await conn.executemany("UPDATE audit_events SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?", updates)
    if seq:
        log.info("audit: %d rows from before the hash chain were chained", seq)


_AFTER: dict[int, Callable[[aiosqlite.Connection], Awaitable[None]]] = {2: _chain_existing_rows}
