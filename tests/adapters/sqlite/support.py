"""Events and databases for the SQLite audit tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio

from periscope_adapters.sqlite import SqliteAuditSink
from periscope_core.domain.audit import Actor, AuditEvent, ImpersonatedAs, Outcome, ResourceRef, Verb

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def event(
    n: int,
    *,
    actor: str = "alice",
    verb: Verb = "delete",
    outcome: Outcome = "success",
    cluster: str = "prod",
    namespace: str = "shop",
    resource: str = "deployments",
    at: datetime | None = None,
    reason: str = "",
    extra: dict[str, object] | None = None,
) -> AuditEvent:
    return AuditEvent(
        timestamp=at or T0 + timedelta(seconds=n), request_id=f"req-{n:04d}",
        actor=Actor(actor, f"{actor}@x.io", ("devs",)), impersonated=ImpersonatedAs(actor, ("devs",)),
        verb=verb, outcome=outcome, cluster=cluster,
        resource=ResourceRef("apps", "v1", resource, namespace, f"web-{n}"), reason=reason, extra=extra or {},
    )  # fmt: skip


async def write(path: Path, events: list[AuditEvent], *, batch: int = 500) -> None:
    sink = SqliteAuditSink(str(path))
    for i in range(0, len(events), batch):
        await sink.write_batch(events[i : i + batch])
    await sink.aclose()


def size(path: Path | str) -> int:
    return Path(path).stat().st_size


def rows(path: Path, sql: str = "SELECT id FROM audit_events ORDER BY id") -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def execute(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    with anyio.fail_after(timeout):
        while True:
            if condition():
                return
            await anyio.sleep(0.005)
