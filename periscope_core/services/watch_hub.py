"""The watch hub: live lists over SSE, one upstream watch per (cluster, kind, scope, identity).

``async with WatchHub(directory) as hub:`` owns every upstream task in one task group.
A route calls ``subscribe`` (which raises before any byte is streamed: 429 at the
per-user cap, the apiserver's 403/404, an unknown cluster) and streams
``Subscription.frames()``, already-encoded SSE bytes; ``end_reason`` says why it ended.

One housekeeping task drives every timer: the 15 s ``: ping``, session expiry
(``auth_expired``) and closing upstreams that stayed unused for the linger time.
"""

from __future__ import annotations

import logging
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

import anyio
import msgspec
from anyio.abc import TaskGroup

from periscope_core.domain.errors import ShuttingDown, StreamLimitReached, UnknownKind
from periscope_core.domain.identity import Impersonation
from periscope_core.domain.resources import GroupVersionResource, kind_by_plural
from periscope_core.domain.watch_streams import DEFAULT_PER_USER_LIMIT
from periscope_core.services.browse import CustomKind
from periscope_core.services.kube import KubeClient
from periscope_core.services.sse_feed import (
    PING,
    SHUTDOWN_RETRY_MS,
    ClientSource,
    EndReason,
    Mailbox,
    sse_frame,
)
from periscope_core.services.watch_rows import RowProjection
from periscope_core.services.watch_upstream import BACKPRESSURE, Subscriber, Upstream, UpstreamKey, UpstreamSettings

__all__ = [
    "HubSettings",
    "StreamInfo",
    "Subscription",
    "WatchHub",
    "WatchTarget",
    "custom_target",
    "kind_target",
]

_log = logging.getLogger("periscope.watch")
_SHUTDOWN = sse_frame("server_shutdown", {}, retry=SHUTDOWN_RETRY_MS)
_AUTH_EXPIRED = sse_frame("auth_expired", {})


class HubSettings(msgspec.Struct, frozen=True, kw_only=True):
    per_user_limit: int = DEFAULT_PER_USER_LIMIT
    """Open streams per actor across clusters and kinds; 0 = no cap."""
    queue_size: int = 1024
    """Frames a subscriber may fall behind before it gets ``backpressure`` and is dropped."""
    linger: float = 5.0
    """Seconds an upstream watch stays open after its last subscriber left."""
    ping_interval: float = 15.0
    drain_timeout: float = 5.0
    upstream: UpstreamSettings = UpstreamSettings()


@dataclass(frozen=True)
class WatchTarget:
    """What to watch; build it with ``kind_target`` or ``custom_target``."""

    cluster: str
    kind: str
    gvr: GroupVersionResource
    namespace: str
    projection: RowProjection = field(compare=False, repr=False)


def kind_target(cluster: str, plural: str, *, namespace: str | None = None) -> WatchTarget:
    """A built-in kind by its public plural; UnknownKind otherwise. Cluster-scoped kinds ignore ``namespace``."""
    spec = kind_by_plural(plural)
    if spec is None:
        raise UnknownKind(plural)
    scope = (namespace or "") if spec.namespaced else ""
    return WatchTarget(cluster, plural, spec.gvr, scope, RowProjection.builtin(plural))


def custom_target(cluster: str, kind: CustomKind, *, namespace: str | None = None) -> WatchTarget:
    """A custom resource as ``BrowseService.custom_kind`` resolved it."""
    gvr = kind.gvr
    scope = (namespace or "") if kind.namespaced else ""
    label = f"{gvr.resource}.{gvr.group}" if gvr.group else gvr.resource
    return WatchTarget(cluster, label, gvr, scope, RowProjection.custom(kind.columns))


class StreamInfo(msgspec.Struct, frozen=True, rename="camel"):
    """One open stream, as ``/debug/streams`` lists it."""

    actor: str
    cluster: str
    kind: str
    namespace: str
    opened_at: str
    shared_with: int
    """Subscribers on the same upstream watch, this one included."""


class Subscription:
    """One client's stream. Iterate ``frames()`` once; ``close()`` if it is never iterated."""

    def __init__(self, hub: WatchHub, sub: Subscriber, target: WatchTarget) -> None:
        self._sub, self.target = sub, target
        # Also run when a route drops the subscription without iterating it (the client
        # left before the body started), so it never holds a slot of the per-user cap.
        self._release = weakref.finalize(self, _leave, hub, sub, target)
        self._release.atexit = False

    @property
    def end_reason(self) -> EndReason | None:
        return self._sub.end_reason

    async def frames(self) -> AsyncIterator[bytes]:
        """Encoded SSE bytes, several events per chunk when the client is behind."""
        try:
            while (chunk := await self._sub.mailbox.take()) is not None:
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        """Leave the stream (idempotent); the upstream lingers if this was its last subscriber."""
        self._release()


def _leave(hub: WatchHub, sub: Subscriber, target: WatchTarget) -> None:
    sub.end("client_gone", None)
    hub.release(sub, target)


class WatchHub:
    """Shared upstream watches fanned out to SSE subscribers."""

    def __init__(
        self,
        clients: ClientSource,
        *,
        settings: HubSettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._clients = clients
        self.settings = settings or HubSettings()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._upstreams: dict[UpstreamKey, Upstream] = {}
        self._subs: dict[Subscriber, WatchTarget] = {}
        self._per_actor: Counter[str] = Counter()
        self._tg: TaskGroup | None = None
        self._closing = False
        self._next_due = 0.0

    async def __aenter__(self) -> WatchHub:
        self._wake, self._drained = anyio.Event(), anyio.Event()
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._housekeeper, name="watch hub housekeeper")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        await self.aclose()
        assert self._tg is not None
        self._tg.cancel_scope.cancel()
        return await self._tg.__aexit__(exc_type, exc, tb)

    # -- subscribing -------------------------------------------------------------------

    async def subscribe(
        self,
        target: WatchTarget,
        *,
        as_: Impersonation,
        actor: str,
        last_event_id: str = "",
        expires_in: float | None = None,
    ) -> Subscription:
        """Join (or start) the upstream for ``target`` as ``as_``; returns once it has listed.

        Raises StreamLimitReached (429) at the per-user cap, ShuttingDown (503) while shutting
        down, ClusterNotFound, and whatever the first list raised (Forbidden, NotFound...).
        """
        if self._closing or self._tg is None:
            raise ShuttingDown()
        client = await self._clients.client(target.cluster)
        if self._closing:
            raise ShuttingDown()
        # Checked after the last await, so concurrent requests cannot slip past the cap together.
        limit = self.settings.per_user_limit
        if limit and self._per_actor[actor] >= limit:
            _log.info("watch_stream.rate_limited actor=%s limit=%d", actor, limit)
            raise StreamLimitReached(limit)
        now = anyio.current_time()
        sub = Subscriber(
            actor=actor, mailbox=Mailbox(self.settings.queue_size), opened_at=self._stamp(),
            expires_at=None if expires_in is None else now + expires_in,
        )
        self._subs[sub] = target
        self._per_actor[actor] += 1
        subscription = Subscription(self, sub, target)
        upstream = self._upstream(target, client, as_, last_event_id)
        upstream.attach(sub, last_event_id)
        if sub.expires_at is not None and sub.expires_at < self._next_due:
            self._poke()
        try:
            await upstream.ready.wait()
        except BaseException:
            subscription.close()
            raise
        if upstream.failure is not None and sub.end_reason == "error":
            subscription.close()
            raise upstream.failure
        _log.info("watch_stream.opened actor=%s cluster=%s kind=%s namespace=%s shared_with=%d",
                  actor, target.cluster, target.kind, target.namespace, len(upstream.subscribers))
        return subscription

    def _upstream(self, target: WatchTarget, client: KubeClient, as_: Impersonation, resume: str) -> Upstream:
        key = UpstreamKey(target.cluster, target.gvr, target.namespace, as_.cache_key())
        upstream = self._upstreams.get(key)
        if upstream is None:
            upstream = Upstream(
                key=key, kind=target.kind, client=client, as_=as_, projection=target.projection,
                settings=self.settings.upstream, resume_from=resume, on_idle=self._poke,
            )
            self._upstreams[key] = upstream
            assert self._tg is not None
            self._tg.start_soon(self._run_upstream, upstream, name=f"watch {target.cluster}/{target.kind}")
        return upstream

    def _poke(self) -> None:
        """Wake the housekeeper: a deadline or an idle upstream appeared."""
        self._wake.set()

    async def _run_upstream(self, upstream: Upstream) -> None:
        try:
            await upstream.run()
        finally:
            if self._upstreams.get(upstream.key) is upstream:
                del self._upstreams[upstream.key]

    def release(self, sub: Subscriber, target: WatchTarget) -> None:
        """Forget a subscription that has ended (``Subscription.close`` calls this)."""
        if self._subs.pop(sub, None) is None:
            return
        self._per_actor[sub.actor] -= 1
        if self._per_actor[sub.actor] <= 0:
            del self._per_actor[sub.actor]
        _log.info("watch_stream.closed actor=%s cluster=%s kind=%s reason=%s",
                  sub.actor, target.cluster, target.kind, sub.end_reason)
        if self._closing and not self._subs:
            self._drained.set()

    # -- introspection -------------------------------------------------------------------

    def streams(self, *, actor: str | None = None) -> list[StreamInfo]:
        """Open streams, all of them or one actor's (``/debug/streams``)."""
        return [
            StreamInfo(
                actor=sub.actor, cluster=target.cluster, kind=target.kind, namespace=target.namespace,
                opened_at=sub.opened_at, shared_with=len(sub.upstream.subscribers) if sub.upstream else 0,
            )
            for sub, target in self._subs.items()
            if actor is None or sub.actor == actor
        ]

    def upstream_count(self) -> int:
        """Upstream watches currently running (or lingering)."""
        return len(self._upstreams)

    def _stamp(self) -> str:
        return self._clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- timers and shutdown ---------------------------------------------------------------

    async def _housekeeper(self) -> None:
        next_ping = anyio.current_time() + self.settings.ping_interval
        while True:
            now = anyio.current_time()
            if now >= next_ping:
                next_ping = now + self.settings.ping_interval
                self._ping()
            due = next_ping
            for sub in [s for s in self._subs if s.expires_at is not None and s.end_reason is None]:
                assert sub.expires_at is not None
                if sub.expires_at <= now:
                    sub.end("auth_expired", _AUTH_EXPIRED)
                else:
                    due = min(due, sub.expires_at)
            for upstream in list(self._upstreams.values()):
                if upstream.idle_since is None or upstream.subscribers:
                    continue
                closes_at = upstream.idle_since + self.settings.linger
                if closes_at <= now:
                    self._upstreams.pop(upstream.key, None)
                    upstream.scope.cancel()
                else:
                    due = min(due, closes_at)
            self._wake, self._next_due = anyio.Event(), due
            with anyio.move_on_after(max(due - now, 0.0)):
                await self._wake.wait()

    def _ping(self) -> None:
        for sub in list(self._subs):
            if sub.end_reason is None and not sub.mailbox.put(PING):
                sub.end("backpressure", BACKPRESSURE, keep_queued=False)

    async def aclose(self) -> None:
        """Shut down: every subscriber gets ``server_shutdown``; waits up to ``drain_timeout`` for them to read it."""
        if self._closing:
            return
        self._closing = True
        for upstream in list(self._upstreams.values()):
            upstream.scope.cancel()
        self._upstreams.clear()
        for sub in list(self._subs):
            sub.end("server_shutdown", _SHUTDOWN)
        if self._subs:
            with anyio.move_on_after(self.settings.drain_timeout):
                await self._drained.wait()
        if self._subs:
            _log.warning("watch hub: %d streams did not drain within %.1f s", len(self._subs),
                         self.settings.drain_timeout)
