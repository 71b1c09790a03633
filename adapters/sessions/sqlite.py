"""Sessions in SQLite: durable across restarts, shared by every process that opens the file.

WAL mode lets several replicas on one host (or one volume with working POSIX locks
and shared memory) read concurrently while one writes. A replace is a
compare-and-swap on ``version``; logout everywhere is one DELETE by subject, so it
reaches every replica on its next read.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import msgspec

from periscope_core.ports.auth import SessionRecord, SessionStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    version INTEGER NOT NULL,
    last_seen REAL NOT NULL,
    absolute_expiry REAL NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_subject ON sessions (subject);
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);
"""
_decoder = msgspec.json.Decoder(SessionRecord)


def _row(record: SessionRecord) -> tuple[str, str, int, float, float, bytes]:
    return (record.key, record.subject, record.version, record.last_seen, record.absolute_expiry,
            msgspec.json.encode(record))


class SqliteSessionStore(SessionStore):
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    @classmethod
    async def open(cls, path: str | Path) -> SqliteSessionStore:
        """Open (creating if needed) the database at ``path``; its directory is created too."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: every statement is its own transaction, so no lock outlives a call.
        connection = await aiosqlite.connect(path, isolation_level=None)
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA busy_timeout=5000")
        await connection.executescript(_SCHEMA)
        return cls(connection)

    async def create(self, record: SessionRecord) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO sessions (key, subject, version, last_seen, absolute_expiry, record) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            _row(record),
        )

    async def get(self, key: str) -> SessionRecord | None:
        async with self._db.execute("SELECT last_seen, record FROM sessions WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return msgspec.structs.replace(_decoder.decode(row[1]), last_seen=row[0])

    async def replace(self, record: SessionRecord, *, expected_version: int) -> bool:
        key, subject, version, last_seen, absolute_expiry, blob = _row(record)
        cursor = await self._db.execute(
            "UPDATE sessions SET subject = ?, version = ?, last_seen = ?, absolute_expiry = ?, record = ? "
            "WHERE key = ? AND version = ?",
            (subject, version, last_seen, absolute_expiry, blob, key, expected_version),
        )
        return cursor.rowcount == 1

    async def touch(self, key: str, *, last_seen: float) -> None:
        await self._db.execute(
            "UPDATE sessions SET last_seen = MAX(last_seen, ?) WHERE key = ?", (last_seen, key)
        )

    async def delete(self, key: str) -> None:
        await self._db.execute("DELETE FROM sessions WHERE key = ?", (key,))

    async def delete_subject(self, subject: str) -> int:
        cursor = await self._db.execute("DELETE FROM sessions WHERE subject = ?", (subject,))
        return cursor.rowcount

    async def purge(self, *, now: float, idle_since: float) -> int:
        cursor = await self._db.execute(
            "DELETE FROM sessions WHERE absolute_expiry <= ? OR last_seen < ?", (now, idle_since)
        )
        await self._db.execute("DELETE FROM claims WHERE expires_at <= ?", (now,))
        return cursor.rowcount

    async def claim_once(self, key: str, *, expires_at: float) -> bool:
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO claims (key, expires_at) VALUES (?, ?)", (key, expires_at)
        )
        return cursor.rowcount == 1

    async def aclose(self) -> None:
        await self._db.close()
