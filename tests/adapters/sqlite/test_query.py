"""Reading the audit log back through the query service: filters, visibility, paging, export."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest

from periscope_adapters.sqlite import SqliteAuditSink, SqliteAuditStore
from periscope_core.domain.audit import AuditRecordNotFound
from periscope_core.domain.audit_query import AuditQuery
from periscope_core.domain.errors import InvalidRequest
from periscope_core.domain.identity import Principal
from periscope_core.services.audit import AuditPipeline
from periscope_core.services.audit_query import AuditQueryService
from periscope_core.testing.audit import MemoryAuditSink

from .support import T0, event, write

ALICE = Principal("alice", "alice@x.io", ("devs",))
ADMIN = Principal("root", "root@x.io", ("auditors",))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteAuditStore]:
    path = tmp_path / "audit.db"
    await write(path, [
        event(1), event(2, actor="bob", verb="apply", outcome="denied", reason="RBAC: forbidden"),
        event(3, cluster="dev", namespace="tools"), event(4, resource="secrets", verb="secret_reveal"),
        event(5, actor="bob", extra={"jobName": "nightly_100%"}, verb="trigger"),
        event(6, at=T0 + timedelta(days=2), outcome="failure", reason="admission webhook said no"),
    ])  # fmt: skip
    store = SqliteAuditStore(str(path))
    yield store
    await store.aclose()


def service(store: SqliteAuditStore, pipeline: AuditPipeline | None = None) -> AuditQueryService:
    return AuditQueryService(store, pipeline=pipeline, admin_groups=("auditors",))


async def ids(svc: AuditQueryService, who: Principal = ADMIN, **filters: object) -> list[int]:
    page = await svc.query(AuditQuery(**filters), viewer=svc.viewer(who))  # type: ignore[arg-type]
    return [r.id for r in page.items]


async def test_every_filter_narrows_the_rows(store: SqliteAuditStore) -> None:
    svc = service(store)
    assert await ids(svc) == [6, 5, 4, 3, 2, 1], "newest first"
    assert await ids(svc, actor="bob") == [5, 2]
    assert await ids(svc, verb="secret_reveal") == [4]
    assert await ids(svc, outcome="denied") == [2]
    assert await ids(svc, cluster="dev") == [3]
    assert await ids(svc, namespace="tools") == [3]
    assert await ids(svc, name="web-5") == [5]
    assert await ids(svc, resource="secrets") == [4]
    assert await ids(svc, request_id="req-0002") == [2]
    assert await ids(svc, since=T0 + timedelta(days=1)) == [6]
    assert await ids(svc, until=T0 + timedelta(seconds=2)) == [2, 1], "both bounds are inclusive"
    assert await ids(svc, text="WEBHOOK") == [6], "free text is case-insensitive, over the reason"
    assert await ids(svc, text="100%") == [5], "and over extra; % is literal"
    assert await ids(svc, text="RBAC_") == [], "_ is literal too"
    assert await ids(svc, actor="bob", outcome="denied") == [2]


async def test_non_admins_see_only_their_own_rows(store: SqliteAuditStore) -> None:
    svc = service(store)
    page = await svc.query(AuditQuery(actor="bob"), viewer=svc.viewer(ALICE))
    assert page.scope == "self"
    assert {r.actor.sub for r in page.items} == {"alice"}, "the actor filter is forced to the caller"
    assert page.total == 4
    with pytest.raises(AuditRecordNotFound):
        await svc.get(2, viewer=svc.viewer(ALICE))
    assert (await svc.get(1, viewer=svc.viewer(ALICE))).resource.name == "web-1"


async def test_admins_see_everyone_unless_they_ask_for_their_own(store: SqliteAuditStore) -> None:
    svc = service(store)
    admin = svc.viewer(ADMIN)
    assert (await svc.query(AuditQuery(), viewer=admin)).scope == "all"
    assert (await svc.get(2, viewer=admin)).actor.sub == "bob"
    mine = await svc.query(AuditQuery(), viewer=admin, scope="self")
    assert (mine.scope, mine.items) == ("self", [])
    tier_admin = svc.viewer(ALICE, admin=True)
    assert (await svc.query(AuditQuery(), viewer=tier_admin)).total == 6
    with pytest.raises(InvalidRequest, match="scope"):
        await svc.query(AuditQuery(), viewer=admin, scope="everyone")
    with pytest.raises(AuditRecordNotFound):
        await svc.get(999, viewer=admin)


async def test_keyset_pages_are_stable_while_rows_arrive(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    await write(path, [event(n) for n in range(25)])
    store = SqliteAuditStore(str(path))
    seen: list[int] = []
    page = await store.query(AuditQuery(limit=10))
    arrivals = 100
    while True:
        seen.extend(r.id for r in page.items)
        await write(path, [event(arrivals, at=T0 + timedelta(days=1))])  # newer rows keep coming
        arrivals += 1
        if not page.next_cursor:
            break
        page = await store.query(AuditQuery(limit=10, cursor=page.next_cursor))
    await store.aclose()
    assert seen == list(range(25, 0, -1)), "no row skipped or repeated"


async def test_offset_paging_and_totals(store: SqliteAuditStore) -> None:
    page = await store.query(AuditQuery(limit=2, offset=2))
    assert ([r.id for r in page.items], page.total, page.total_exact, page.offset) == ([4, 3], 6, True, 2)
    assert page.next_cursor


async def test_export_streams_every_visible_row_and_is_audited(store: SqliteAuditStore) -> None:
    memory = MemoryAuditSink()
    pipeline = AuditPipeline([memory])
    svc = service(store, pipeline)
    chunks = await svc.export(AuditQuery(limit=1), viewer=svc.viewer(ALICE), fmt="jsonl", request_id="req-x")
    lines = [msgspec.json.decode(line) for chunk in [c async for c in chunks] for line in chunk.splitlines()]
    assert [row["id"] for row in lines] == [1, 3, 4, 6], "oldest first, only the caller's, limit ignored"
    await pipeline.aclose()
    (exported,) = memory.events
    assert (exported.verb, exported.actor.sub, exported.request_id) == ("audit_export", "alice", "req-x")
    assert exported.extra == {"format": "jsonl", "scope": "self", "filters": {"actor": "alice"}}


async def test_csv_export_defuses_formulas(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    await write(path, [event(1, reason="=HYPERLINK(\"http://evil\")"), event(2)])
    store = SqliteAuditStore(str(path))
    svc = service(store)
    chunks = await svc.export(AuditQuery(), viewer=svc.viewer(ADMIN), fmt="csv")
    text = b"".join([c async for c in chunks]).decode()
    await store.aclose()
    header, first, second = list(csv.reader(io.StringIO(text)))
    assert header[:3] == ["id", "timestamp", "request_id"]
    assert first[header.index("reason")] == "'=HYPERLINK(\"http://evil\")"
    assert second[header.index("actor_groups")] == "devs"
    with pytest.raises(InvalidRequest, match="format"):
        await svc.export(AuditQuery(), viewer=svc.viewer(ADMIN), fmt="xml")


async def test_a_store_does_not_create_a_missing_database(tmp_path: Path) -> None:
    from periscope_core.domain.audit import AuditStorageError

    with pytest.raises(AuditStorageError) as caught:
        await SqliteAuditStore(str(tmp_path / "none.db")).open()
    assert caught.value.problem == "unavailable"
    assert not (tmp_path / "none.db").exists()
    sink = SqliteAuditSink(str(tmp_path / "none.db"))
    await sink.open()
    await sink.aclose()
    assert (tmp_path / "none.db").exists()


async def test_a_count_over_budget_gives_a_lower_bound_not_a_slow_page(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    await write(path, [event(n) for n in range(3000)])
    slow = SqliteAuditStore(str(path), count_budget=0.0)
    page = await slow.query(AuditQuery(limit=10, offset=20))
    assert ([r.id for r in page.items][:2], page.total, page.total_exact) == ([2980, 2979], 31, False)
    assert (await slow.query(AuditQuery(request_id="req-0007"))).total_exact, "a cheap count is still exact"
    await slow.aclose()
    generous = SqliteAuditStore(str(path))
    assert (await generous.query(AuditQuery(limit=10))).total == 3000
    await generous.aclose()
