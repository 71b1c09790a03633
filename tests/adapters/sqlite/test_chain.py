"""Tamper evidence: editing or deleting rows directly in SQLite breaks the chain at that row."""

from __future__ import annotations

from pathlib import Path

from periscope_adapters.sqlite import SqliteAuditStore, verify
from periscope_core.domain.audit_chain import chain_hash

from .support import event, execute, rows, write


async def chained(tmp_path: Path, count: int = 10) -> Path:
    path = tmp_path / "audit.db"
    await write(path, [event(n) for n in range(count)], batch=4)
    return path


async def test_an_untouched_chain_verifies(tmp_path: Path) -> None:
    result = await verify(await chained(tmp_path))
    assert (result.ok, result.rows_checked, result.first_broken_id) == (True, 10, None)


async def test_an_edited_row_is_found(tmp_path: Path) -> None:
    path = await chained(tmp_path)
    execute(path, "UPDATE audit_events SET outcome = 'denied' WHERE id = 4")
    execute(path, "UPDATE audit_events SET actor_sub = 'mallory' WHERE id = 7")
    result = await verify(path)
    assert (result.ok, result.first_broken_id, result.rows_checked) == (False, 4, 3)
    assert "changed" in result.reason


async def test_an_edit_with_a_recomputed_hash_is_found_at_the_next_row(tmp_path: Path) -> None:
    path = await chained(tmp_path)
    execute(path, "UPDATE audit_events SET res_name = 'innocent' WHERE id = 5")
    (prev, *fields), = rows(path, "SELECT prev_hash, seq, ts_unix_nano, request_id, route, actor_sub, actor_email, "
                                  "actor_groups, impersonated_user, impersonated_groups, verb, outcome, cluster, "
                                  "res_group, res_version, res_type, res_namespace, res_name, reason, extra "
                                  "FROM audit_events WHERE id = 5")  # fmt: skip
    forged = chain_hash(str(prev), ["" if f is None else f for f in fields])  # type: ignore[misc]
    execute(path, f"UPDATE audit_events SET hash = '{forged}' WHERE id = 5")
    result = await verify(path)
    assert (result.ok, result.first_broken_id) == (False, 6)
    assert "prev_hash" in result.reason


async def test_a_deleted_row_is_found(tmp_path: Path) -> None:
    path = await chained(tmp_path)
    execute(path, "DELETE FROM audit_events WHERE id = 3")
    result = await verify(path)
    assert (result.ok, result.first_broken_id) == (False, 4)
    assert "1 row(s) deleted" in result.reason


async def test_deleted_first_and_last_rows_are_found(tmp_path: Path) -> None:
    path = await chained(tmp_path)
    execute(path, "DELETE FROM audit_events WHERE id = 1")
    assert (await verify(path)).first_broken_id == 2
    path = await chained(tmp_path / "tail")
    execute(path, "DELETE FROM audit_events WHERE id >= 9")
    result = await verify(path)
    assert (result.ok, result.first_broken_id, result.rows_checked) == (False, 9, 8)
    assert "after id 8 were deleted" in result.reason


async def test_a_check_from_a_checkpoint_reads_only_newer_rows(tmp_path: Path) -> None:
    path = await chained(tmp_path, count=6)
    store = SqliteAuditStore(str(path))
    try:
        first = await store.verify()
        assert first.checkpoint is not None
        assert (first.rows_checked, first.checkpoint.row_id) == (6, 6)
        await write(path, [event(n) for n in range(6, 9)])
        execute(path, "UPDATE audit_events SET reason = 'rewritten' WHERE id = 2")  # before the checkpoint
        newer = await store.verify(after=first.checkpoint)
        assert newer.checkpoint is not None
        assert (newer.ok, newer.rows_checked, newer.checkpoint.row_id, newer.checkpoint.seq) == (True, 3, 9, 9)
        whole = await store.verify()  # a full walk still finds the old edit
        assert (whole.ok, whole.first_broken_id) == (False, 2)
        execute(path, "UPDATE audit_events SET reason = 'again' WHERE id = 8")
        assert (await store.verify(after=first.checkpoint)).first_broken_id == 8
    finally:
        await store.aclose()
