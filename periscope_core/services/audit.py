"""The audit pipeline: events in from request handlers, batches out to every sink.

Rules:

- ``emit`` never blocks and never raises: it appends to one bounded in-memory
  queue per sink and returns;
- one writer task per sink takes up to ``batch_size`` queued events, writes them,
  and removes them from the queue only once the sink accepted them, so a failing
  sink (SQLite locked, disk full, read-only) keeps its rows queued while the
  writer retries with exponential backoff;
- a queue at its bound refuses new events; each refused event is counted and
  logged at ERROR on ``periscope.audit``, and ``accepting`` turns false so
  privileged actions can be refused (503) *before* they run;
- ``aclose`` stops taking events and drains every queue within a grace period,
  even when the surrounding scope is being cancelled (SIGTERM), then closes the
  sinks; whatever could not be written by then is counted as lost and logged.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import anyio
import msgspec
from anyio.abc import TaskGroup, TaskStatus

from periscope_core.domain.audit import (
    Actor,
    AuditEvent,
    AuditUnavailable,
    ImpersonatedAs,
    Outcome,
    ResourceRef,
    Verb,
    outcome_for,
)
from periscope_core.domain.errors import PeriscopeError
from periscope_core.ports.audit import AuditSink

__all__ = ["AuditHealth", "AuditPipeline", "LaneHealth", "PendingAction"]

log = logging.getLogger("periscope.audit")

_REASON_LIMIT = 2000


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _json_safe(event: AuditEvent) -> AuditEvent:
    """The event with ``extra`` reduced to JSON values, so no sink chokes on it and retries forever."""
    if not event.extra:
        return event
    try:
        msgspec.json.encode(event.extra)
        return event
    except (TypeError, ValueError, msgspec.EncodeError):
        pass
    try:
        extra = msgspec.to_builtins(event.extra, enc_hook=repr, str_keys=True)
    except (TypeError, ValueError, msgspec.EncodeError) as exc:
        extra = {"unencodable_extra": repr(event.extra)[:_REASON_LIMIT], "error": str(exc)}
    return msgspec.structs.replace(event, extra=extra)


class LaneHealth(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    sink: str
    queued: int
    bound: int
    dropped: int
    """Events refused because the queue was full, or still queued at shutdown."""
    written: int
    failing: bool
    last_error: str = ""
    failing_since: datetime | None = None
    last_success: datetime | None = None
    detail: dict[str, Any] = {}


class AuditHealth(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """For ``/healthz?verbose`` and the audit metrics."""

    ok: bool
    """Every sink is writing and has room."""
    accepting: bool
    """Every queue has room; privileged actions should be refused while this is false."""
    queued: int
    dropped: int
    sinks: list[LaneHealth]


class _Lane:
    """One sink's queue and the state of its writer."""

    def __init__(self, sink: AuditSink, *, bound: int, batch_size: int) -> None:
        self.sink = sink
        self.bound = bound
        self.batch_size = batch_size
        self.queue: deque[AuditEvent] = deque()
        self.wake = anyio.Event()
        self.dropped = 0
        self.written = 0
        self.last_error = ""
        self.failing_since: datetime | None = None
        self.last_success: datetime | None = None

    def put(self, event: AuditEvent) -> bool:
        if len(self.queue) >= self.bound:
            self.dropped += 1
            return False
        self.queue.append(event)
        self.wake.set()
        return True

    async def next_batch(self, closing: anyio.Event) -> list[AuditEvent]:
        """Up to ``batch_size`` queued events, waiting for some; empty once closing with nothing left."""
        while not self.queue:
            if closing.is_set():
                return []
            await self.wake.wait()
            self.wake = anyio.Event()
        return list(itertools.islice(self.queue, self.batch_size))

    def health(self) -> LaneHealth:
        try:
            detail = dict(self.sink.health())
        except Exception as exc:  # a broken health() must not break the health page
            detail = {"error": str(exc)}
        return LaneHealth(
            sink=self.sink.name, queued=len(self.queue), bound=self.bound, dropped=self.dropped,
            written=self.written, failing=self.failing_since is not None, last_error=self.last_error,
            failing_since=self.failing_since, last_success=self.last_success, detail=detail,
        )  # fmt: skip


class PendingAction:
    """An action being audited (see ``AuditPipeline.action``); set details while it runs."""

    def __init__(self, template: AuditEvent) -> None:
        self.template = template
        self.extra: dict[str, Any] = dict(template.extra)
        self.outcome: Outcome | None = None
        """Set to override the outcome derived from how the block ended."""
        self.reason = ""


class AuditPipeline:
    """Fans events out to sinks through bounded queues; see the module docstring for the rules."""

    def __init__(
        self,
        sinks: Sequence[AuditSink],
        *,
        queue_size: int = 10_000,
        batch_size: int = 2000,
        retry_initial: float = 0.1,
        retry_max: float = 10.0,
        close_grace: float = 10.0,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if queue_size < 1 or batch_size < 1:
            raise ValueError("queue_size and batch_size must be positive")
        self._lanes = [_Lane(sink, bound=queue_size, batch_size=batch_size) for sink in sinks]
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._close_grace = close_grace
        self._clock = clock
        self._closing = anyio.Event()
        self._closed = False
        self._running: anyio.CancelScope | None = None
        self._stopped = anyio.Event()
        self._owner: TaskGroup | None = None

    def now(self) -> datetime:
        return self._clock()

    def emit(self, event: AuditEvent) -> None:
        """Queue ``event`` for every sink; never blocks, never raises. Call from the event loop's thread."""
        try:
            event = _json_safe(event)
            for lane in self._lanes:
                if self._closed:
                    lane.dropped += 1
                    why = "pipeline closed"
                elif lane.put(event):
                    continue
                else:
                    why = f"queue full at {lane.bound}"
                log.error("audit event LOST for sink %s (%s): %s by %s, outcome %s, request %s; %d lost so far",
                          lane.sink.name, why, event.verb, event.actor.sub, event.outcome, event.request_id or "-",
                          lane.dropped)
        except Exception:  # emit is called on request paths that must not fail because of auditing
            log.exception("audit emit failed")

    @contextmanager
    def action(
        self,
        *,
        verb: Verb,
        actor: Actor,
        request_id: str = "",
        route: str = "",
        impersonated: ImpersonatedAs = ImpersonatedAs(),
        cluster: str = "",
        resource: ResourceRef = ResourceRef(),
        extra: dict[str, Any] | None = None,
    ) -> Iterator[PendingAction]:
        """Audit the enclosed block: one row when it ends, its outcome from ``outcome_for``.

        A cancelled block writes no row. The exception, if any, propagates.
        """
        pending = PendingAction(AuditEvent(
            timestamp=self.now(), request_id=request_id, route=route, actor=actor, impersonated=impersonated,
            verb=verb, outcome="success", cluster=cluster, resource=resource, extra=extra or {},
        ))  # fmt: skip
        try:
            yield pending
        except BaseException as exc:
            self._finish(pending, exc)
            raise
        else:
            self._finish(pending, None)

    def _finish(self, pending: PendingAction, exc: BaseException | None) -> None:
        outcome = outcome_for(exc)
        if outcome is None:
            return
        reason = pending.reason
        if exc is not None and not reason:
            reason = exc.message if isinstance(exc, PeriscopeError) else str(exc) or type(exc).__name__
        self.emit(msgspec.structs.replace(
            pending.template, timestamp=self.now(), outcome=pending.outcome or outcome,
            reason=reason[:_REASON_LIMIT], extra=pending.extra,
        ))  # fmt: skip

    @property
    def running(self) -> bool:
        """Whether ``run`` owns the writers now."""
        return self._running is not None

    @property
    def accepting(self) -> bool:
        return not self._closing.is_set() and all(len(lane.queue) < lane.bound for lane in self._lanes)

    def ensure_accepting(self) -> None:
        """Raise AuditUnavailable (503) when a privileged action could not be audited."""
        if not self.accepting:
            raise AuditUnavailable("the audit log cannot record more actions right now; try again shortly")

    def health(self) -> AuditHealth:
        lanes = [lane.health() for lane in self._lanes]
        accepting = self.accepting
        return AuditHealth(
            ok=accepting and not any(lane.failing for lane in lanes),
            accepting=accepting,
            queued=sum(lane.queued for lane in lanes),
            dropped=sum(lane.dropped for lane in lanes),
            sinks=lanes,
        )

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Own the writers until ``aclose`` drains them, or until cancelled (rows stay queued)."""
        if self._running is not None:
            raise RuntimeError("the audit pipeline is already running")
        self._stopped = anyio.Event()
        try:
            async with anyio.create_task_group() as tg:
                self._running = tg.cancel_scope
                for lane in self._lanes:
                    tg.start_soon(self._write_loop, lane)
                task_status.started()
        finally:
            self._running = None
            self._stopped.set()

    async def _write_loop(self, lane: _Lane) -> None:
        delay = self._retry_initial
        while batch := await lane.next_batch(self._closing):
            try:
                await lane.sink.write_batch(batch)
            except Exception as exc:
                self._failed(lane, exc)
                if self._closing.is_set():
                    await anyio.sleep(delay)
                else:
                    with anyio.move_on_after(delay):
                        await self._closing.wait()  # shutting down: retry now, the grace period is short
                delay = min(delay * 2, self._retry_max)
                continue
            for _ in batch:
                lane.queue.popleft()
            lane.written += len(batch)
            lane.last_success = self.now()
            if lane.failing_since is not None:
                log.warning("audit sink %s recovered after failing since %s; %d events queued",
                            lane.sink.name, lane.failing_since.isoformat(), len(lane.queue))
                lane.failing_since = None
                lane.last_error = ""
            delay = self._retry_initial

    def _failed(self, lane: _Lane, exc: Exception) -> None:
        message = exc.message if isinstance(exc, PeriscopeError) else f"{type(exc).__name__}: {exc}"
        if lane.failing_since is None:
            lane.failing_since = self.now()
            log.error("audit sink %s cannot write (%s); %d events queued and retried, bound %d",
                      lane.sink.name, message, len(lane.queue), lane.bound,
                      exc_info=not isinstance(exc, PeriscopeError))
        lane.last_error = message

    async def aclose(self) -> None:
        """Drain the queues within the grace period, then close the sinks. Idempotent.

        Events emitted while draining (sessions torn down at shutdown) are still written.
        """
        if self._closing.is_set():
            return
        self._closing.set()
        for lane in self._lanes:
            lane.wake.set()
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(self._close_grace):
                if self._running is not None:
                    await self._stopped.wait()
                while any(lane.queue for lane in self._lanes):
                    await self.run()  # never started, cancelled with rows queued, or events emitted while draining
            if self._running is not None:
                self._running.cancel()
                await self._stopped.wait()
            self._closed = True
            for lane in self._lanes:
                if lane.queue:
                    lane.dropped += len(lane.queue)
                    log.error("audit events LOST at shutdown: %d for sink %s (%s)",
                              len(lane.queue), lane.sink.name, lane.last_error or "grace period over")
                    lane.queue.clear()
                await self._close_sink(lane.sink)

    async def _close_sink(self, sink: AuditSink) -> None:
        with anyio.move_on_after(self._close_grace):
            try:
                await sink.flush()
                await sink.aclose()
            except Exception:
                log.exception("closing audit sink %s failed", sink.name)

    async def __aenter__(self) -> AuditPipeline:
        self._owner = anyio.create_task_group()
        await self._owner.__aenter__()
        await self._owner.start(self.run)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.aclose()
        finally:
            if self._owner is not None:
                await self._owner.__aexit__(exc_type, exc, tb)
