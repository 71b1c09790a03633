"""One upstream list+watch, shared by every subscriber with the same identity.

Rules:
- list in pages (limit/continue) into a row cache, then watch from the list's
  resourceVersion with bookmarks; the last RV seen on an event or bookmark is the
  resume point, and resourceVersions are opaque (compared for equality only);
- a watch the server ends quietly (timeoutSeconds, a dropped connection) is re-opened
  from the resume point, with no new list and no snapshot sent;
- 410 Expired (in the stream or on open) sends ``relist``, lists again, swaps the cache
  and sends the new snapshot to everyone; any other error sends ``error`` and ends;
- each event is projected and encoded once; the frame goes to every subscriber's
  mailbox; a full mailbox gets ``backpressure`` and leaves, the others are not slowed;
- subscribers are woken at once for the first frame of a burst, then at most once per
  interval, which grows with the subscriber count (``wake_budget`` wake-ups a second, at
  most ``max_coalesce`` apart): a few subscribers see every frame at once, a thousand
  get a burst in one wake-up and one socket write each;
- a joiner gets a snapshot built from the cache (shared until the next change), or,
  resuming with Last-Event-ID, the frames after that RV from a small ring.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Callable
from typing import Any, Literal

import anyio
import msgspec

from periscope_core.domain.errors import (
    ApiError,
    ClusterUnreachable,
    Gone,
    PeriscopeError,
    TooManyRequests,
    UpstreamTimeout,
)
from periscope_core.domain.identity import Impersonation
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.protocols.errors import ProtocolError
from periscope_core.protocols.watch import Bookmark, Expired, ObjectEvent, WatchError
from periscope_core.services.kube import KubeClient
from periscope_core.services.sse_feed import EndReason, Mailbox, sse_frame
from periscope_core.services.watch_rows import RowProjection

__all__ = ["BACKPRESSURE", "Subscriber", "Upstream", "UpstreamKey", "UpstreamSettings"]

_log = logging.getLogger("periscope.watch")

BACKPRESSURE = sse_frame("backpressure", {})
_RELIST = sse_frame("relist", {"reason": "gone_410"})
_RETRYABLE = (ClusterUnreachable, UpstreamTimeout, TooManyRequests)
_MAX_FAILURES = 5
_LIST_RESTARTS = 3


class UpstreamKey(msgspec.Struct, frozen=True):
    """What makes two subscriptions share a watch; identities never mix."""

    cluster: str
    gvr: GroupVersionResource
    namespace: str
    identity: str


class UpstreamSettings(msgspec.Struct, frozen=True, kw_only=True):
    page_size: int = 500
    watch_timeout: int = 290
    """``timeoutSeconds`` asked of the apiserver; it ends the watch quietly and we resume."""
    ring_size: int = 512
    # Each wake-up becomes one socket write per subscriber; 5,000 keeps 1,000 HTTP subscribers
    # at 200 events/s under 250 ms p99 on two cores (docs/benchmarks.md).
    wake_budget: int = 5_000
    """Subscriber wake-ups per second one upstream may cause; 0 wakes on every frame."""
    max_coalesce: float = 0.1
    """The longest a frame waits for the next wake-up, in seconds."""


class Subscriber:
    """One consumer of an upstream: its mailbox, and why it ended."""

    __slots__ = ("actor", "end_reason", "expires_at", "mailbox", "needs_snapshot", "opened_at", "upstream")

    def __init__(self, *, actor: str, mailbox: Mailbox, opened_at: str, expires_at: float | None) -> None:
        self.actor = actor
        self.mailbox = mailbox
        self.opened_at = opened_at
        self.expires_at = expires_at
        self.end_reason: EndReason | None = None
        self.needs_snapshot = False
        self.upstream: Upstream | None = None

    def end(self, reason: EndReason, frame: bytes | None, *, keep_queued: bool = True) -> None:
        """Close the mailbox with a last frame and leave the upstream; the first reason wins."""
        if self.end_reason is None:
            self.end_reason = reason
        self.mailbox.finish(frame, keep_queued=keep_queued)
        if self.upstream is not None:
            self.upstream.detach(self)


class _WatchFailed(Exception):
    """The apiserver sent an ERROR event other than 410 Expired."""


class Upstream:
    """The list+watch loop for one key; ``run`` is its task, ``scope`` cancels it."""

    def __init__(
        self,
        *,
        key: UpstreamKey,
        kind: str,
        client: KubeClient,
        as_: Impersonation,
        projection: RowProjection,
        settings: UpstreamSettings,
        resume_from: str,
        on_idle: Callable[[], None],
    ) -> None:
        self.key = key
        self.kind = kind
        self.subscribers: set[Subscriber] = set()
        self.ready = anyio.Event()
        self.failure: BaseException | None = None
        self.scope = anyio.CancelScope()
        self.idle_since: float | None = None
        self.rv = ""
        self._client, self._as, self._projection, self._settings = client, as_, projection, settings
        self._resume_from = resume_from
        self._on_idle = on_idle
        self._rows: dict[tuple[str, str], Any] = {}
        self._ring: deque[tuple[str, bytes | None]] = deque(maxlen=settings.ring_size)
        self._snapshot: bytes | None = None
        self._pending = anyio.Event()

    # -- subscribers -----------------------------------------------------------------

    def attach(self, sub: Subscriber, last_event_id: str) -> None:
        """Add ``sub``; it gets a snapshot unless ``last_event_id`` lets it resume."""
        sub.upstream = self
        self.subscribers.add(sub)
        self.idle_since = None
        if last_event_id and self._resume(sub, last_event_id):
            return
        if self.ready.is_set():
            sub.mailbox.put(self.snapshot_frame())
        else:
            sub.needs_snapshot = True

    def _resume(self, sub: Subscriber, last_event_id: str) -> bool:
        if not self.ready.is_set():
            # A fresh upstream opened for this resume point watches from it.
            return last_event_id == self._resume_from
        if last_event_id == self.rv:
            return True
        frames = self._frames_after(last_event_id)
        if frames is None or len(frames) >= sub.mailbox.limit:
            return False
        return sub.mailbox.put_many(frames)

    def _frames_after(self, rv: str) -> list[bytes] | None:
        frames: list[bytes] | None = None
        for entry_rv, frame in self._ring:
            if frames is not None and frame is not None:
                frames.append(frame)
            elif frames is None and entry_rv == rv:
                frames = []
        return frames

    def detach(self, sub: Subscriber) -> None:
        if sub in self.subscribers:
            self.subscribers.discard(sub)
            if not self.subscribers:
                self.idle_since = anyio.current_time()
                self._on_idle()

    def snapshot_frame(self) -> bytes:
        """The current state as one ``snapshot`` event, encoded once per change."""
        if self._snapshot is None:
            items = self._projection.order(list(self._rows.values()))
            self._snapshot = sse_frame("snapshot", {"resourceVersion": self.rv, "items": items}, id=self.rv)
        return self._snapshot

    def broadcast(self, frame: bytes) -> None:
        coalesce = self._settings.wake_budget > 0
        slow = [sub for sub in self.subscribers if not sub.mailbox.put(frame, wake=not coalesce)]
        if coalesce:
            self._pending.set()
        for sub in slow:
            _log.info("watch_stream.backpressure actor=%s kind=%s", sub.actor, self.kind)
            sub.end("backpressure", BACKPRESSURE, keep_queued=False)

    # -- the loop --------------------------------------------------------------------

    async def _wake_subscribers(self) -> None:
        """Wake subscribers for queued frames: now, then no sooner than the interval allows."""
        settings = self._settings
        while True:
            await self._pending.wait()
            self._pending = anyio.Event()
            for sub in self.subscribers:
                sub.mailbox.wake()
            await anyio.sleep(min(settings.max_coalesce, len(self.subscribers) / settings.wake_budget))

    async def run(self) -> None:
        with self.scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._wake_subscribers)
                try:
                    await self._run()
                except (PeriscopeError, ProtocolError, _WatchFailed) as exc:
                    self._fail(exc, str(exc))
                except Exception as exc:
                    _log.exception("watch upstream %s/%s failed", self.key.cluster, self.kind)
                    self._fail(exc, f"internal error: {type(exc).__name__}")
                tg.cancel_scope.cancel()
        if not self.ready.is_set():
            self.failure = self.failure or ClusterUnreachable("the watch was cancelled before it started")
            self.ready.set()

    def _fail(self, exc: BaseException, message: str) -> None:
        _log.info("watch_stream.upstream_error cluster=%s kind=%s: %s", self.key.cluster, self.kind, message)
        self.failure = exc
        frame = sse_frame("error", {"message": message})
        for sub in list(self.subscribers):
            sub.end("error", frame)

    async def _run(self) -> None:
        await self._relist(initial=True)
        since, resuming, self._resume_from = self._resume_from or self.rv, bool(self._resume_from), ""
        failures = 0
        while True:
            opened, before = anyio.current_time(), self.rv
            outcome: Literal["expired", "ended", "failed"]
            error: Exception | None = None
            try:
                outcome = await self._watch(since)
            except _RETRYABLE as exc:
                outcome, error = "failed", exc
            except ApiError:
                if not resuming:
                    raise
                # A client's Last-Event-ID the apiserver cannot resume from (malformed, too
                # new): the clients get the current state instead of an error they would
                # reconnect into with the same id.
                outcome = "expired"
            resuming = False
            if outcome == "expired":
                _log.info("watch_stream.relist cluster=%s kind=%s", self.key.cluster, self.kind)
                self.broadcast(_RELIST)
                await self._relist(initial=False)
                failures = 0
            elif self.rv != before or (outcome == "ended" and anyio.current_time() - opened >= 1.0):
                failures = 0
            else:
                failures += 1
                if outcome == "failed" and failures >= _MAX_FAILURES:
                    raise ClusterUnreachable(f"the watch failed {failures} times in a row: {error}")
                if failures > 1:
                    # Full jitter, so watches that ended together do not all come back together.
                    await anyio.sleep(random.uniform(0, min(0.1 * 2**failures, 5.0)))
            since = self.rv

    async def _watch(self, since: str) -> Literal["expired", "ended"]:
        key, bound = self.key, self._settings.watch_timeout + 30
        try:
            # The server ends the watch at timeoutSeconds; the bound catches one that never does.
            with anyio.move_on_after(bound):
                async with self._client.watch(
                    key.gvr, namespace=key.namespace or None, resource_version=since,
                    timeout_seconds=self._settings.watch_timeout, allow_bookmarks=True, as_=self._as,
                ) as events:
                    async for event in events:
                        if isinstance(event, ObjectEvent):
                            self._apply(event)
                        elif isinstance(event, Bookmark):
                            self._advance(event.resource_version)
                        elif isinstance(event, Expired):
                            return "expired"
                        elif isinstance(event, WatchError):
                            raise _WatchFailed(f"watch error {event.code} {event.reason}: {event.message}")
        except Gone:
            return "expired"
        return "ended"

    def _apply(self, event: ObjectEvent) -> None:
        meta = event.object.get("metadata") or {}
        key = (meta.get("namespace", ""), meta.get("name", ""))
        row = self._projection.row(event.object)
        if event.type == "DELETED":
            self._rows.pop(key, None)
        else:
            self._rows[key] = row
        rv = event.resource_version or self.rv
        frame = sse_frame(event.type.lower(), {"object": row}, id=rv)
        self.rv, self._snapshot = rv, None
        self._ring.append((rv, frame))
        self.broadcast(frame)

    def _advance(self, rv: str) -> None:
        if rv != self.rv:
            self.rv, self._snapshot = rv, None
            self._ring.append((rv, None))

    async def _relist(self, *, initial: bool) -> None:
        rows, rv = await self._list()
        self._rows, self.rv, self._snapshot = rows, rv, None
        self._ring.clear()
        self._ring.append((rv, None))
        if not initial:
            self.broadcast(self.snapshot_frame())
            return
        for sub in self.subscribers:
            if sub.needs_snapshot:
                sub.needs_snapshot = False
                sub.mailbox.put(self.snapshot_frame())
        self.ready.set()

    async def _list(self) -> tuple[dict[tuple[str, str], Any], str]:
        key = self.key
        for _ in range(_LIST_RESTARTS):
            rows: dict[tuple[str, str], Any] = {}
            token, rv = "", ""
            try:
                while True:
                    body = await self._client.list_raw(
                        key.gvr, namespace=key.namespace or None, limit=self._settings.page_size,
                        continue_token=token, as_=self._as,
                    )
                    page = self._projection.page(body)
                    rv = rv or page.resource_version
                    for row in page.items:
                        rows[(row.namespace, row.name)] = row
                    token = page.continue_
                    if not token:
                        return rows, rv
            except Gone:
                continue  # the continue token expired mid-list: start over from a fresh first page
        raise ClusterUnreachable(f"the list of {self.kind} kept expiring while being paged")
