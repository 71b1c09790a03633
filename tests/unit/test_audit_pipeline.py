"""The audit pipeline: emit never blocks or raises, rows are kept and retried, loss is counted."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import anyio
import msgspec
import pytest

from periscope_core.domain.audit import (
    Actor,
    AuditEvent,
    AuditStorageError,
    AuditUnavailable,
    ResourceRef,
)
from periscope_core.domain.errors import Forbidden, Status
from periscope_core.services.audit import AuditPipeline
from periscope_core.services.audit_stdout import StdoutAuditSink
from periscope_core.testing.audit import MemoryAuditSink

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def event(n: int = 0, **changes: object) -> AuditEvent:
    base = AuditEvent(
        timestamp=T0, request_id=f"req-{n}", actor=Actor("alice", "alice@example.com", ("devs",)), verb="delete",
        outcome="success", cluster="prod", resource=ResourceRef("apps", "v1", "deployments", "shop", f"web-{n}"),
    )  # fmt: skip
    return msgspec.structs.replace(base, **changes) if changes else base


async def until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    with anyio.fail_after(timeout):
        while True:
            if condition():
                return
            await anyio.sleep(0.002)


def pipeline(*sinks: MemoryAuditSink, **options: float) -> AuditPipeline:
    return AuditPipeline(list(sinks), retry_initial=0.005, retry_max=0.02, **options)  # type: ignore[arg-type]


async def test_events_reach_every_sink_in_order() -> None:
    first, second = MemoryAuditSink(), MemoryAuditSink()
    async with pipeline(first, second) as audit:
        for n in range(5):
            audit.emit(event(n))
        await until(lambda: len(first.events) == 5 and len(second.events) == 5)
    assert [e.request_id for e in first.events] == [f"req-{n}" for n in range(5)]
    assert second.events == first.events


async def test_queued_events_are_written_in_batches() -> None:
    sink = MemoryAuditSink()
    sink.gate = anyio.Event()
    async with AuditPipeline([sink], batch_size=10) as audit:
        audit.emit(event(0))
        await until(lambda: sink.attempts == 1)  # the writer holds a batch of one
        for n in range(1, 26):
            audit.emit(event(n))
        assert audit.health().queued == 26
        sink.gate.set()
        await until(lambda: len(sink.events) == 26)
    assert [len(b) for b in sink.batches] == [1, 10, 10, 5]
    assert [e.request_id for e in sink.events] == [f"req-{n}" for n in range(26)]


async def test_a_full_queue_refuses_and_counts_what_it_loses(caplog: pytest.LogCaptureFixture) -> None:
    sink = MemoryAuditSink()
    sink.gate = anyio.Event()
    async with AuditPipeline([sink], queue_size=5) as audit:
        for n in range(4):
            audit.emit(event(n))
        assert audit.accepting
        audit.emit(event(4))
        assert not audit.accepting, "no room left: privileged actions must be refused before they run"
        await until(lambda: sink.attempts == 1)
        with caplog.at_level(logging.ERROR, logger="periscope.audit"):
            for n in range(5, 8):
                audit.emit(event(n))
        health = audit.health()
        assert (health.queued, health.dropped, health.accepting, health.ok) == (5, 3, False, False)
        with pytest.raises(AuditUnavailable):
            audit.ensure_accepting()
        assert len([r for r in caplog.records if "LOST" in r.getMessage()]) == 3
        assert "req-7" in caplog.records[-1].getMessage()
        sink.gate.set()
        await until(lambda: len(sink.events) == 5)
        assert audit.accepting
    assert [e.request_id for e in sink.events] == [f"req-{n}" for n in range(5)]


async def test_a_failing_sink_keeps_rows_and_retries_until_it_recovers() -> None:
    sink = MemoryAuditSink()
    sink.failure = AuditStorageError("database or disk is full", problem="disk_full")
    other = MemoryAuditSink()
    async with pipeline(sink, other) as audit:
        for n in range(3):
            audit.emit(event(n))
        await until(lambda: sink.attempts >= 3)
        failing, healthy = audit.health().sinks
        assert (failing.failing, failing.queued) == (True, 3)
        assert "disk is full" in failing.last_error
        assert failing.failing_since is not None
        assert (healthy.failing, len(other.events)) == (False, 3), "one failing sink must not hold up the others"
        assert audit.accepting, "rows are still kept, so actions may go on"
        sink.failure = None
        await until(lambda: len(sink.events) == 3)
        recovered = audit.health()
    assert (recovered.ok, recovered.sinks[0].written, recovered.sinks[0].last_error) == (True, 3, "")
    assert [e.request_id for e in sink.events] == ["req-0", "req-1", "req-2"], "each row written exactly once"


async def test_close_flushes_rows_even_if_the_writer_never_ran() -> None:
    sink = MemoryAuditSink(fail_times=2)
    audit = pipeline(sink)
    for n in range(3):
        audit.emit(event(n))
    await audit.aclose()
    assert (len(sink.events), sink.closed) == (3, True)
    assert audit.health().dropped == 0


async def test_close_flushes_queued_rows_when_the_process_is_being_cancelled() -> None:
    sink = MemoryAuditSink(fail_times=3)
    with anyio.CancelScope() as scope:
        async with pipeline(sink) as audit:
            for n in range(4):
                audit.emit(event(n))
            scope.cancel()
            await anyio.sleep(1)  # cancelled here, as on SIGTERM
    assert [e.request_id for e in sink.events] == [f"req-{n}" for n in range(4)]


async def test_close_gives_up_after_the_grace_period_and_counts_the_loss(caplog: pytest.LogCaptureFixture) -> None:
    sink = MemoryAuditSink()
    sink.failure = AuditStorageError("attempt to write a readonly database", problem="read_only")
    audit = pipeline(sink, close_grace=0.1)
    for n in range(4):
        audit.emit(event(n))
    with anyio.fail_after(2), caplog.at_level(logging.ERROR, logger="periscope.audit"):
        await audit.aclose()
    assert audit.health().dropped == 4
    assert any("LOST at shutdown: 4" in r.getMessage() for r in caplog.records)
    audit.emit(event(9))  # after close: counted, never raised
    assert audit.health().dropped == 5


async def test_emit_never_raises_and_survives_odd_values() -> None:
    sink = MemoryAuditSink()
    sink.failure = RuntimeError("a bug in a sink")
    async with pipeline(sink) as audit:
        audit.emit(event(0, extra={"when": T0, "thing": object(), 3: {1, 2}}))
        await until(lambda: sink.attempts >= 2)
        assert "RuntimeError: a bug in a sink" in audit.health().sinks[0].last_error
        sink.failure = None
        await until(lambda: len(sink.events) == 1)
    extra = sink.events[0].extra
    assert (extra["when"], extra["3"]) == ("2026-01-02T03:04:05Z", [1, 2])
    assert extra["thing"].startswith("<object object")
    msgspec.json.encode(sink.events[0])


async def test_action_records_the_outcome_of_the_block() -> None:
    sink = MemoryAuditSink()
    async with pipeline(sink) as audit:
        with audit.action(verb="apply", actor=Actor("alice"), cluster="prod") as act:
            act.extra["dryRun"] = True
        with pytest.raises(Forbidden), audit.action(verb="delete", actor=Actor("bob")):
            raise Forbidden(Status(code=403, message='deployments "web" is forbidden'))
        with pytest.raises(ValueError, match="bad yaml"), audit.action(verb="apply", actor=Actor("carol")):
            raise ValueError("bad yaml")
        with anyio.CancelScope() as scope, audit.action(verb="exec_open", actor=Actor("dave")):
            scope.cancel()
            await anyio.sleep(1)
        with audit.action(verb="exec_close", actor=Actor("erin")) as act:
            act.outcome, act.reason = "failure", "heartbeat_timeout"
        await until(lambda: len(sink.events) == 4)
    got = [(e.actor.sub, e.verb, e.outcome, e.reason) for e in sink.events]
    assert got == [
        ("alice", "apply", "success", ""),
        ("bob", "delete", "denied", 'deployments "web" is forbidden'),
        ("carol", "apply", "failure", "bad yaml"),
        ("erin", "exec_close", "failure", "heartbeat_timeout"),
    ]
    assert (sink.events[0].extra, sink.events[0].cluster) == ({"dryRun": True}, "prod")


async def test_stdout_sink_writes_one_line_per_event_with_the_original_keys() -> None:
    out = io.StringIO()
    sink = StdoutAuditSink(out)
    await sink.write_batch([event(1, extra={"dryRun": True, "event": "clash"}), event(2, reason="nope")])
    first, second = (msgspec.json.decode(line) for line in out.getvalue().splitlines())
    assert (first["category"], first["msg"], first["event"]) == ("audit", "audit", "delete")
    assert (first["actor.sub"], first["actor.groups"], first["request_id"]) == ("alice", ["devs"], "req-1")
    assert (first["group"], first["resource"], first["namespace"], first["name"]) == (
        "apps", "deployments", "shop", "web-1")  # fmt: skip
    assert (first["dryRun"], first["extra.event"]) == (True, "clash"), "extra keys flattened, clashes kept"
    assert first["time"] == "2026-01-02T03:04:05Z"
    assert second["reason"] == "nope"
