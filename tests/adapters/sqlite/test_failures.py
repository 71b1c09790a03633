"""A locked, read-only or unopenable database: nothing crashes, rows wait in the queue, none are lost."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from periscope_adapters.sqlite import SqliteAuditSink, verify
from periscope_core.services.audit import AuditPipeline

from .support import event, rows, until, write


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Really read-only: immutable for root (who ignores modes), mode bits for everyone else."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode:
            pytest.skip("this filesystem cannot mark files immutable")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


def pipeline(sink: SqliteAuditSink) -> AuditPipeline:
    return AuditPipeline([sink], retry_initial=0.01, retry_max=0.05)


async def test_a_database_locked_by_another_connection_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    await write(path, [event(0)])
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        async with pipeline(SqliteAuditSink(str(path), busy_timeout_ms=20)) as audit:
            for n in range(1, 21):
                audit.emit(event(n))
            await until(lambda: audit.health().sinks[0].failing)
            lane = audit.health().sinks[0]
            assert (lane.queued, lane.written) == (20, 0)
            assert "locked" in lane.last_error
            assert holder.execute("SELECT COUNT(*) FROM audit_events").fetchone() == (1,)
            holder.execute("COMMIT")
            await until(lambda: audit.health().queued == 0)
            assert audit.health().ok
    finally:
        holder.close()
    assert [r[0] for r in rows(path, "SELECT request_id FROM audit_events ORDER BY id")] == [
        f"req-{n:04d}" for n in range(21)]  # fmt: skip
    assert (await verify(path)).ok


async def test_a_read_only_database_file_keeps_rows_until_it_is_writable(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    await write(path, [event(0)])
    async with pipeline(SqliteAuditSink(str(path))) as audit:
        with read_only(path):
            for n in range(1, 6):
                audit.emit(event(n))
            await until(lambda: audit.health().sinks[0].failing)
            health = audit.health()
            assert (health.ok, health.accepting, health.queued) == (False, True, 5)
            assert "readonly" in health.sinks[0].last_error
            assert health.sinks[0].failing_since is not None
        await until(lambda: audit.health().queued == 0)
        assert audit.health().ok
    assert len(rows(path)) == 6
    assert (await verify(path)).ok


async def test_a_read_only_directory_where_the_database_should_be_created(tmp_path: Path) -> None:
    directory = tmp_path / "audit"
    directory.mkdir()
    path = directory / "audit.db"
    async with pipeline(SqliteAuditSink(str(path))) as audit:
        with read_only(directory):
            audit.emit(event(1))
            audit.emit(event(2))
            await until(lambda: audit.health().sinks[0].failing)
            assert "unable to open" in audit.health().sinks[0].last_error
            assert audit.health().queued == 2
            assert not path.exists()
        await until(lambda: audit.health().queued == 0)
    assert [r[0] for r in rows(path, "SELECT request_id FROM audit_events")] == ["req-0001", "req-0002"]


async def test_rows_still_unwritable_at_shutdown_are_counted_as_lost(tmp_path: Path) -> None:
    directory = tmp_path / "audit"
    directory.mkdir()
    audit = AuditPipeline([SqliteAuditSink(str(directory / "audit.db"))], retry_initial=0.01, close_grace=0.2)
    with read_only(directory):
        async with audit:
            audit.emit(event(1))
            audit.emit(event(2))
    assert (audit.health().dropped, audit.health().queued) == (2, 0)
