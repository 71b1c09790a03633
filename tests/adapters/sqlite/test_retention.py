"""Retention on generated databases: by age, by size, never breaking the chain; the WAL stays bounded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import anyio

from periscope_adapters.sqlite import SqliteAuditSink, verify
from periscope_core.domain.audit import AuditSettings

from .support import T0, event, rows, size, until, write

DAY = timedelta(days=1)


async def sixty_days(path: Path) -> None:
    """600 rows, one every 2.4 hours, ending at T0."""
    await write(path, [event(n, at=T0 - DAY * 60 + DAY / 10 * n) for n in range(600)])


async def test_rows_older_than_the_retention_are_deleted_and_the_chain_still_verifies(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    await sixty_days(path)
    sink = SqliteAuditSink(str(path))
    result = await sink.prune(now=T0, retention_days=30, max_size_mb=0)
    assert (result.by_age, result.by_size, result.vacuumed) == (300, 0, True)
    oldest = rows(path, "SELECT MIN(ts_unix_nano), COUNT(*) FROM audit_events")[0]
    assert oldest[1] == 300
    assert int(oldest[0]) >= int((T0 - DAY * 30).timestamp() * 1e9)  # type: ignore[call-overload]
    await sink.write_batch([event(1000)])
    await sink.aclose()
    checked = await verify(path)
    assert (checked.ok, checked.rows_checked) == (True, 301), "the remaining rows verify from the anchor"
    assert rows(path, "SELECT row_id, seq, rows_pruned FROM audit_chain_anchor") == [(300, 300, 300)]


async def test_the_oldest_rows_go_when_the_database_is_too_big(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    await write(path, [event(n, extra={"padding": "x" * 2000}) for n in range(1500)])
    assert size(path) > 3 << 20
    sink = SqliteAuditSink(str(path))
    result = await sink.prune(now=T0, retention_days=30, max_size_mb=1)
    await sink.aclose()
    assert result.by_size > 0
    assert result.bytes_after <= 1 << 20 < result.bytes_before
    assert size(path) <= 1 << 20
    first, count = rows(path, "SELECT MIN(id), COUNT(*) FROM audit_events")[0]
    assert first == 1500 - count + 1, "only the oldest rows were deleted"  # type: ignore[operator]
    assert (await verify(path)).ok


async def test_zero_disables_both_caps(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    await sixty_days(path)
    sink = SqliteAuditSink(str(path))
    result = await sink.prune(now=T0 + DAY * 365, retention_days=0, max_size_mb=0)
    await sink.aclose()
    assert (result.by_age, result.by_size, result.vacuumed) == (0, 0, False)
    assert len(rows(path)) == 600


async def test_pruning_every_row_leaves_a_chain_that_new_rows_continue(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    await sixty_days(path)
    sink = SqliteAuditSink(str(path))
    assert (await sink.prune(now=T0 + DAY * 100, retention_days=30, max_size_mb=0)).by_age == 600
    await sink.write_batch([event(1), event(2)])
    await sink.aclose()
    checked = await verify(path)
    assert (checked.ok, checked.rows_checked) == (True, 2)
    assert rows(path, "SELECT MIN(seq) FROM audit_events") == [(601,)]


async def test_the_maintenance_loop_prunes_at_start_and_truncates_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    await sixty_days(path)
    sink = SqliteAuditSink(str(path))
    await sink.write_batch([event(n, at=T0) for n in range(2000, 2200)])
    assert size(f"{path}-wal") > 0
    settings = AuditSettings(retention_days=30, max_size_mb=0, vacuum_interval=3600)
    async with anyio.create_task_group() as tg:
        await tg.start(lambda task_status: sink.maintain(settings, clock=lambda: T0, task_status=task_status))
        await until(lambda: "last_prune_deleted" in sink.health() and size(f"{path}-wal") == 0)
        tg.cancel_scope.cancel()
    assert sink.health()["last_prune_deleted"] == 300
    assert len(rows(path)) == 500
    await sink.aclose()
    assert (await verify(path)).ok
