"""Schema versions: new databases, the original product's v1 databases, and newer ones refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from periscope_adapters.sqlite import LATEST_VERSION, SqliteAuditSink, SqliteAuditStore, verify
from periscope_core.domain.audit import AuditSchemaTooNew
from periscope_core.domain.audit_query import AuditQuery

from .support import event, execute, rows, write

# The original product's schema and rows as it wrote them: empty strings as NULL,
# groups and extra as JSON text, nanosecond timestamps.
V1 = """
CREATE TABLE audit_events (id INTEGER PRIMARY KEY AUTOINCREMENT, ts_unix_nano INTEGER NOT NULL, request_id TEXT,
  route TEXT, actor_sub TEXT NOT NULL, actor_email TEXT, actor_groups TEXT, verb TEXT NOT NULL, outcome TEXT NOT NULL,
  cluster TEXT, res_group TEXT, res_version TEXT, res_type TEXT, res_namespace TEXT, res_name TEXT, reason TEXT,
  extra TEXT);
CREATE INDEX idx_audit_ts ON audit_events (ts_unix_nano);
INSERT INTO audit_events (ts_unix_nano, request_id, actor_sub, actor_email, actor_groups, verb, outcome, cluster,
  res_group, res_version, res_type, res_namespace, res_name, reason, extra)
VALUES (1767225600123456789, 'r1', 'alice', 'alice@x.io', '["devs"]', 'apply', 'success', 'prod', 'apps', 'v1',
        'deployments', 'shop', 'web', NULL, '{"dryRun":true,"force":false}'),
       (1767225601000000000, 'r2', 'bob', NULL, NULL, 'delete', 'denied', 'prod', NULL, 'v1', 'pods', 'shop', 'web-1',
        'pods "web-1" is forbidden', NULL);
PRAGMA user_version = 1;
"""


def user_version(path: Path) -> int:
    return int(rows(path, "PRAGMA user_version")[0][0])  # type: ignore[call-overload]


async def test_a_new_database_is_created_at_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "audit.db"
    await write(path, [event(1)])
    assert user_version(path) == LATEST_VERSION
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]


async def test_an_original_v1_database_is_migrated_in_place_and_chained(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    conn = sqlite3.connect(path)
    conn.executescript(V1)
    conn.close()
    await write(path, [event(3)])
    assert user_version(path) == LATEST_VERSION
    store = SqliteAuditStore(str(path))
    page = await store.query(AuditQuery())
    await store.aclose()
    old_bob, old_alice = page.items[1], page.items[2]
    assert (old_alice.actor.groups, old_alice.extra, old_alice.resource.name) == (("devs",), {"dryRun": True,
                                                                                              "force": False}, "web")
    assert (old_bob.actor.email, old_bob.resource.group, old_bob.outcome) == ("", "", "denied")
    assert old_alice.timestamp.isoformat() == "2026-01-01T00:00:00.123456+00:00"
    result = await verify(path)
    assert (result.ok, result.rows_checked) == (True, 3), "old rows join the chain, new ones follow"


async def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    await write(path, [event(1)])
    execute(path, f"PRAGMA user_version = {LATEST_VERSION + 1}")
    sink = SqliteAuditSink(str(path))
    with pytest.raises(AuditSchemaTooNew, match=rf"schema version {LATEST_VERSION + 1}.*upgrade Periscope"):
        await sink.open()
    with pytest.raises(AuditSchemaTooNew):
        await sink.write_batch([event(2)])
    with pytest.raises(AuditSchemaTooNew):
        await SqliteAuditStore(str(path)).open()
    assert rows(path) == [(1,)], "nothing written to a database this version does not understand"
    assert user_version(path) == LATEST_VERSION + 1
