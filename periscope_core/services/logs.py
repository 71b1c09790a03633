"""Pod and workload logs, as SSE frames or as a plain-text download.

``async with LogService(directory) as logs:`` owns every log session's task. A route
calls ``open`` (which raises before anything streams: unknown kind, bad filter, the
apiserver's 403/404) and streams ``LogStream.frames()`` or ``LogStream.text()``.

SSE: each line is ``data: {"t": <RFC 3339>, "l": <text>}`` (plus ``"p": <pod>`` for a
workload), ``event: meta`` says which pods are read, ``event: error`` reports a failure
(``pod`` says which), ``event: done`` ends a finished log, ``: ping`` keeps proxies awake.
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from types import TracebackType

import anyio
import msgspec
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from periscope_core.domain.errors import InvalidRequest, ShuttingDown, UnknownKind
from periscope_core.domain.identity import Impersonation
from periscope_core.domain.resources import kind_by_plural
from periscope_core.services.kube import KubeClient
from periscope_core.services.log_follow import (
    EndItem,
    LineItem,
    LogItem,
    LogSession,
    MetaItem,
    PodErrorItem,
    Selection,
)
from periscope_core.services.log_lines import LogOptions, compile_filter, label_selector
from periscope_core.services.sse_feed import PING, SHUTDOWN_RETRY_MS, ClientSource, EndReason, sse_frame

__all__ = ["WORKLOAD_KINDS", "LogOptions", "LogService", "LogStream"]

_log = logging.getLogger("periscope.logs")
WORKLOAD_KINDS = ("deployments", "statefulsets", "daemonsets", "jobs")
_SHUTDOWN = sse_frame("server_shutdown", {}, retry=SHUTDOWN_RETRY_MS)
_FAILED = sse_frame("error", {"message": "the log stream failed"})
_BATCH = 256
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class _Line(msgspec.Struct, omit_defaults=True):
    t: str
    line: str = msgspec.field(name="l")
    pod: str = msgspec.field(default="", name="p")


def _frame(item: LogItem) -> bytes:
    if isinstance(item, LineItem):
        return sse_frame(None, _Line(item.stamp, item.text, item.pod))
    if isinstance(item, MetaItem):
        return sse_frame("meta", item)
    if isinstance(item, PodErrorItem):
        return sse_frame("error", {"message": item.message, "pod": item.pod})
    if item.reason == "done":
        return sse_frame("done", {})
    return sse_frame("error", {"message": item.message})


class LogStream:
    """One opened log; iterate ``frames()`` (SSE) or ``text()`` (download) once, or ``close()`` it."""

    def __init__(self, receive: MemoryObjectReceiveStream[LogItem], scope: anyio.CancelScope, *,
                 filename: str, timestamps: bool, ping_interval: float, service: LogService) -> None:
        self.filename = filename
        self.end_reason: EndReason | None = None
        self._receive, self._service = receive, service
        self._timestamps, self._ping = timestamps, ping_interval
        self._cut = False
        """The session ended without its last item: the server shut down, or it failed."""
        # Also run when a route drops the stream without iterating it (the client left first).
        self._stop = weakref.finalize(self, _stop_session, scope, receive)
        self._stop.atexit = False

    def close(self) -> None:
        """Stop the session (idempotent)."""
        if self.end_reason is None:
            self.end_reason = "client_gone"
        self._stop()

    def expire(self) -> None:
        """Stop the session because its caller is no longer signed in."""
        if self.end_reason is None:
            self.end_reason = "auth_expired"
        self._stop()

    async def _items(self) -> AsyncIterator[list[LogItem]]:
        """Batches of what is ready; an empty batch means nothing came for a ping interval."""
        try:
            while True:
                batch: list[LogItem] = []
                with anyio.move_on_after(self._ping):
                    batch.append(await self._receive.receive())
                while batch and len(batch) < _BATCH:
                    try:
                        batch.append(self._receive.receive_nowait())
                    except anyio.WouldBlock:
                        break
                yield batch
                if batch and isinstance(batch[-1], EndItem):
                    self.end_reason = batch[-1].reason
                    return
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._cut = True
            self.end_reason = "server_shutdown" if self._service.closing else "error"
        finally:
            self.close()

    async def frames(self) -> AsyncIterator[bytes]:
        """Encoded SSE bytes, several lines per chunk when they come fast."""
        try:
            async for batch in self._items():
                yield b"".join(_frame(item) for item in batch) if batch else PING
            if self._cut:
                yield _SHUTDOWN if self.end_reason == "server_shutdown" else _FAILED
        finally:
            self.close()

    async def text(self) -> AsyncIterator[str]:
        """Plain-text lines (newline-terminated) for a download."""
        try:
            async for batch in self._items():
                for item in batch:
                    if (line := _text(item, self._timestamps)) is not None:
                        yield line
            if self._cut:
                shutdown = self.end_reason == "server_shutdown"
                yield "# the server is shutting down\n" if shutdown else "# error: the log stream failed\n"
        finally:
            self.close()


def _stop_session(scope: anyio.CancelScope, receive: MemoryObjectReceiveStream[LogItem]) -> None:
    scope.cancel()
    receive.close()


def _text(item: LogItem, timestamps: bool) -> str | None:
    if isinstance(item, LineItem):
        stamp = f"{item.stamp} " if timestamps and item.stamp else ""
        pod = f"[{item.pod}] " if item.pod else ""
        return f"{stamp}{pod}{item.text}\n"
    if isinstance(item, PodErrorItem):
        return f"# error{' from ' + item.pod if item.pod else ''}: {item.message}\n"
    if isinstance(item, MetaItem) and item.message:
        return f"# {item.message}\n"
    if isinstance(item, EndItem) and item.reason == "error":
        return f"# error: {item.message}\n"
    return None


class LogService:
    """Opens log sessions and owns their tasks."""

    def __init__(
        self,
        clients: ClientSource,
        *,
        max_pods: int = 20,
        ping_interval: float = 15.0,
        merge_window: float = 0.25,
        per_pod_lines: int = 256,
        buffer: int = 256,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._clients = clients
        self._max_pods, self._ping, self._window = max_pods, ping_interval, merge_window
        self._per_pod, self._buffer = per_pod_lines, buffer
        self._clock = clock or (lambda: datetime.now(UTC))
        self._tg: TaskGroup | None = None
        self._scopes: set[anyio.CancelScope] = set()
        self.closing = False

    async def __aenter__(self) -> LogService:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        await self.aclose()
        assert self._tg is not None
        return await self._tg.__aexit__(exc_type, exc, tb)

    async def aclose(self) -> None:
        """End every session; their clients get ``server_shutdown``."""
        self.closing = True
        for scope in list(self._scopes):
            scope.cancel()

    async def open(
        self,
        cluster: str,
        namespace: str,
        name: str,
        options: LogOptions,
        *,
        kind: str = "pods",
        download: bool = False,
        as_: Impersonation,
    ) -> LogStream:
        """A pod's log, or every pod of a workload (``kind`` in WORKLOAD_KINDS) merged.

        ``download`` reads what is there and ends (no follow). Raises UnknownKind,
        InvalidRequest (bad filter), ShuttingDown, and the apiserver's errors (NotFound...).
        """
        if self.closing or self._tg is None:
            raise ShuttingDown()
        matcher = compile_filter(options)
        if download:
            options = msgspec.structs.replace(options, follow=False)
        client = await self._clients.client(cluster)
        if kind == "pods":
            selection = Selection(namespace=namespace, pod=name)
        elif kind in WORKLOAD_KINDS:
            selection = Selection(namespace=namespace, label_selector=await self._selector(client, kind, namespace,
                                                                                          name, as_))
        else:
            raise UnknownKind(kind)
        session = LogSession(
            client, selection, options, as_=as_, matcher=matcher, max_pods=self._max_pods,
            merge_window=self._window, per_pod=self._per_pod, clock=self._clock,
        )
        await session.prepare()
        send, receive = anyio.create_memory_object_stream[LogItem](self._buffer)
        scope = anyio.CancelScope()
        self._scopes.add(scope)
        self._tg.start_soon(self._run, session, send, scope, name=f"logs {namespace}/{name}")
        parts = [namespace, name] + ([options.container] if options.container else [])
        filename = _UNSAFE.sub("_", "_".join(parts)) + (".previous.log" if options.previous else ".log")
        return LogStream(receive, scope, filename=filename, timestamps=options.timestamps,
                         ping_interval=self._ping, service=self)

    @staticmethod
    async def _selector(client: KubeClient, kind: str, namespace: str, name: str, as_: Impersonation) -> str:
        spec = kind_by_plural(kind)
        assert spec is not None
        obj = await client.get(spec.gvr, name, namespace=namespace, as_=as_)
        selector = label_selector((obj.get("spec") or {}).get("selector") or {})
        if not selector and kind == "jobs":
            selector = f"job-name={name}"
        if not selector:
            raise InvalidRequest(f"{kind}/{name} has an empty selector; it would match every pod")
        return selector

    async def _run(self, session: LogSession, send: MemoryObjectSendStream[LogItem],
                   scope: anyio.CancelScope) -> None:
        try:
            with scope:
                await session.run(send)
        except Exception:
            # The client sees the stream end with an error event; the details go to the log.
            _log.exception("log session failed")
        finally:
            self._scopes.discard(scope)
