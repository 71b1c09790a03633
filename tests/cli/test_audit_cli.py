"""``periscope audit query|verify`` on a database file, run as a user runs them."""

from __future__ import annotations

import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from periscope_adapters.sqlite import SqliteAuditSink
from periscope_core.domain.audit import Actor, AuditEvent, ResourceRef

from .helpers import Running, run

NOW = datetime.now(UTC)


def event(n: int, *, actor: str = "alice", age: timedelta = timedelta(0), **changes: object) -> AuditEvent:
    base = AuditEvent(
        timestamp=NOW - age + timedelta(milliseconds=n), request_id=f"req-{n}", actor=Actor(actor), verb="delete",
        outcome="success", cluster="prod", resource=ResourceRef("apps", "v1", "deployments", "shop", f"web-{n}"),
    )  # fmt: skip
    return msgspec.structs.replace(base, **changes)


async def database(tmp_path: Path, events: list[AuditEvent]) -> str:
    path = str(tmp_path / "audit.db")
    sink = SqliteAuditSink(path)
    await sink.write_batch(events)
    await sink.aclose()
    return path


async def test_verify_reports_ok_then_the_first_broken_row(tmp_path: Path) -> None:
    db = await database(tmp_path, [event(n) for n in range(5)])
    ok = run("audit", "verify", "--db", db, tmp=tmp_path)
    assert (ok.returncode, ok.stdout) == (0, "ok: 5 rows verified\n")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE audit_events SET actor_sub = 'mallory' WHERE id = 3")
    conn.commit()
    conn.close()
    broken = run("audit", "verify", "--db", db, tmp=tmp_path)
    assert broken.returncode == 1
    assert broken.stdout.startswith("broken: row 3: hash does not match")


async def test_query_filters_and_prints_a_table_or_json_lines(tmp_path: Path) -> None:
    db = await database(tmp_path, [
        event(1, age=timedelta(hours=3)), event(2, actor="bob", outcome="denied", reason="forbidden"),
        event(3, verb="apply"),
    ])  # fmt: skip
    table = run("audit", "query", "--db", db, tmp=tmp_path)
    lines = table.stdout.splitlines()
    assert table.returncode == 0
    assert lines[0].split() == ["ID", "TIME", "ACTOR", "VERB", "OUTCOME", "CLUSTER", "RESOURCE"]
    assert [line.split()[0] for line in lines[1:]] == ["1", "2", "3"], "oldest first, like tail"
    assert "shop/deployments/web-2  forbidden" in lines[2]
    denied = run("audit", "query", "--db", db, "--outcome", "denied", "--json", tmp=tmp_path)
    (row,) = [msgspec.json.decode(line) for line in denied.stdout.splitlines()]
    assert (row["id"], row["actor"]["sub"], row["reason"]) == (2, "bob", "forbidden")
    recent = run("audit", "query", "--db", db, "--since", "1h", "--actor", "alice", "--json", tmp=tmp_path)
    assert [msgspec.json.decode(line)["id"] for line in recent.stdout.splitlines()] == [3]


async def test_bad_input_is_one_error_line(tmp_path: Path) -> None:
    missing = run("audit", "query", "--db", str(tmp_path / "none.db"), tmp=tmp_path)
    assert (missing.returncode, missing.stderr) == (2, f"error: no audit database at {tmp_path / 'none.db'} "
                                                       "(set --db or PERISCOPE_AUDIT_DB_PATH)\n")
    db = await database(tmp_path, [event(1)])
    bad_time = run("audit", "query", "--db", db, "--from", "yesterday", tmp=tmp_path)
    assert (bad_time.returncode, bad_time.stderr) == (2, "error: invalid from: 'yesterday' is not an RFC 3339 time\n")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    newer = run("audit", "verify", "--db", db, tmp=tmp_path)
    assert newer.returncode == 2
    assert "schema version 99" in newer.stderr
    assert "Traceback" not in newer.stderr


async def test_follow_prints_new_rows_until_interrupted(tmp_path: Path) -> None:
    db = await database(tmp_path, [event(1), event(2, actor="bob")])
    follow = Running("audit", "query", "--db", db, "--actor", "alice", "--json", "--follow", "--poll", "0.05",
                     tmp=tmp_path)  # fmt: skip
    try:
        assert msgspec.json.decode(follow.read_until("{")[-1])["id"] == 1
        sink = SqliteAuditSink(db)
        await sink.write_batch([event(3, actor="bob"), event(4)])
        await sink.aclose()
        assert msgspec.json.decode(follow.read_until("{", timeout=10)[-1])["id"] == 4, "filters apply while following"
        follow.process.send_signal(signal.SIGINT)
        assert follow.process.wait(timeout=10) == 130
    finally:
        follow.kill()
