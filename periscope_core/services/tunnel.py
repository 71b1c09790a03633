"""A tunnel session: the frame codec driven over a ``TunnelSocket``, with streams as awaitable objects.

``run()`` owns the session: it reads frames and dispatches them to their streams, pings
the peer, and ends (closing every stream) when the socket closes, the framing breaks,
or the peer stops answering pings. The hub calls ``request()`` for each apiserver
call; the agent is handed each request the hub opens (``on_open``), in a task of the
session's own task group, so no stream outlives the session.

Writers wait for the peer's flow-control window instead of buffering, and a stream's
received bytes are granted back to the peer only once its reader took them: a slow
reader holds back its own stream, never the tunnel.
"""

from __future__ import annotations

import logging
import math
import os
from collections import deque
from collections.abc import Awaitable, Callable

import anyio
from anyio.abc import TaskGroup, TaskStatus

from periscope_core.domain.errors import ClusterUnreachable
from periscope_core.ports.tunnel import TunnelSocket
from periscope_core.protocols.errors import LocalProtocolError, RemoteProtocolError
from periscope_core.protocols.tunnel import (
    MAX_DATA,
    Data,
    End,
    Head,
    Open,
    Ping,
    Pong,
    Reset,
    Role,
    StreamReset,
    TunnelCodec,
    TunnelEvent,
    Window,
)

__all__ = ["StreamClosed", "TunnelSession", "TunnelStream"]

_log = logging.getLogger("periscope.tunnel")

OpenHandler = Callable[["TunnelStream", Open], Awaitable[None]]


class StreamClosed(ClusterUnreachable):
    """The stream was reset by the peer or ended with its tunnel; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TunnelStream:
    """One request's stream: the hub reads the answer, the agent writes it (both ways for a WebSocket)."""

    def __init__(self, session: TunnelSession, stream_id: int) -> None:
        self.id = stream_id
        self._session = session
        self._inbox: deque[bytes | None] = deque()
        self._arrived = anyio.Event()
        self._head: Head | None = None
        self._head_arrived = anyio.Event()
        self._window_opened = anyio.Event()
        self.closed: str | None = None
        """Why the stream ended abnormally (reset, tunnel gone), once it has."""

    # -- fed by the session -------------------------------------------------------------

    def _deliver(self, item: bytes | None) -> None:
        self._inbox.append(item)
        self._arrived.set()

    def _deliver_head(self, head: Head) -> None:
        self._head = head
        self._head_arrived.set()

    def _window(self) -> None:
        self._window_opened.set()

    def _close(self, reason: str) -> None:
        if self.closed is None:
            self.closed = reason
        self._arrived.set()
        self._head_arrived.set()
        self._window_opened.set()

    # -- used by the two ends -----------------------------------------------------------

    async def head(self) -> Head:
        """The answer's head (hub side); raises StreamClosed when the stream ends first."""
        await self._head_arrived.wait()
        if self._head is None:
            raise StreamClosed(self.closed or "the stream ended before its answer")
        return self._head

    async def receive(self) -> bytes | None:
        """The next DATA payload, or None after END; raises StreamClosed on a reset."""
        while not self._inbox:
            if self.closed is not None:
                raise StreamClosed(self.closed)
            self._arrived = anyio.Event()
            await self._arrived.wait()
        item = self._inbox.popleft()
        if item:
            await self._session._grant(self.id, len(item))
        return item

    async def send(self, data: bytes) -> None:
        """Send ``data``, waiting for the peer's window as needed; raises StreamClosed once it is gone."""
        view = memoryview(data)
        while view:
            if self.closed is not None:
                raise StreamClosed(self.closed)
            room = min(self._session.codec.send_window(self.id), MAX_DATA)
            if room == 0:
                self._window_opened = anyio.Event()
                await self._window_opened.wait()
                continue
            await self._session._send(self._session.codec.data(self.id, bytes(view[:room])))
            view = view[room:]

    async def send_head(self, head: Head) -> None:
        await self._session._send(self._session.codec.head(head))

    async def end(self) -> None:
        if self.closed is None:
            try:
                await self._session._send(self._session.codec.end(self.id))
            except LocalProtocolError:
                pass  # the peer reset it meanwhile

    async def reset(self, reason: str) -> None:
        if self.closed is None:
            self._close(reason)
            self._session._forget(self.id)
            await self._session._send(self._session.codec.reset(self.id, reason))


class TunnelSession:
    """Owns one tunnel connection; see the module docstring."""

    def __init__(
        self,
        socket: TunnelSocket,
        role: Role,
        *,
        on_open: OpenHandler | None = None,
        ping_interval: float = 20.0,
        ping_timeout: float = 60.0,
    ) -> None:
        if role == "agent" and on_open is None:
            raise ValueError("an agent session needs on_open")
        self.codec = TunnelCodec(role)
        self._socket = socket
        self._on_open = on_open
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._streams: dict[int, TunnelStream] = {}
        self._send_lock = anyio.Lock()
        self._last_heard = -math.inf
        self._tg: TaskGroup | None = None
        self.closed = anyio.Event()
        self.end_reason = ""

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Serve the session until the socket closes, the framing breaks or pings go unanswered."""
        self._last_heard = anyio.current_time()
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                tg.start_soon(self._keepalive, tg)
                task_status.started()
                await self._read()
                tg.cancel_scope.cancel()
        finally:
            self._shutdown(self.end_reason or "the tunnel closed")
            with anyio.CancelScope(shield=True):
                await self._socket.aclose()

    async def aclose(self, reason: str = "the tunnel was closed") -> None:
        """End the session from outside (a replacing connection, shutdown)."""
        self.end_reason = self.end_reason or reason
        await self._socket.aclose()

    async def request(self, opening: Open, body: bytes | None = None) -> TunnelStream:
        """Open a stream for ``opening`` (hub side), sending ``body`` after it; raises ClusterUnreachable."""
        if self.closed.is_set():
            raise ClusterUnreachable(self.end_reason or "the tunnel is closed")
        stream_id, frame = self.codec.open(opening)
        stream = self._streams[stream_id] = TunnelStream(self, stream_id)
        await self._send(frame)
        if opening.has_body:
            await stream.send(body or b"")
            await stream.end()
        return stream

    # -- internals ----------------------------------------------------------------------

    async def _read(self) -> None:
        while True:
            message = await self._socket.receive()
            if message is None:
                return
            self._last_heard = anyio.current_time()
            try:
                events = self.codec.receive(message)
            except RemoteProtocolError as exc:
                self.end_reason = f"the peer broke the tunnel protocol: {exc}"
                _log.warning("tunnel closed: %s", self.end_reason)
                return
            for event in events:
                self._dispatch(event)
            for frame in self.codec.data_to_send():
                await self._send(frame)

    def _dispatch(self, event: TunnelEvent) -> None:
        if isinstance(event, Open):
            opened = self._streams[event.stream] = TunnelStream(self, event.stream)
            if self._tg is not None and self._on_open is not None:
                self._tg.start_soon(self._serve, opened, event)
            return
        if isinstance(event, Ping | Pong):
            return
        stream = self._streams.get(event.stream)
        if stream is None:
            return
        if isinstance(event, Head):
            stream._deliver_head(event)
        elif isinstance(event, Data):
            stream._deliver(event.data)
        elif isinstance(event, End):
            stream._deliver(None)
        elif isinstance(event, Window):
            stream._window()
        elif isinstance(event, Reset | StreamReset):
            self._streams.pop(event.stream, None)
            stream._close(f"the stream was reset: {event.reason}")

    async def _serve(self, stream: TunnelStream, opening: Open) -> None:
        assert self._on_open is not None
        try:
            await self._on_open(stream, opening)
        except ClusterUnreachable:
            pass  # the stream or the tunnel went away under the handler
        finally:
            self._streams.pop(stream.id, None)

    async def _keepalive(self, tg: TaskGroup) -> None:
        while True:
            await anyio.sleep(self._ping_interval)
            if anyio.current_time() - self._last_heard > self._ping_timeout:
                self.end_reason = f"the peer did not answer for {self._ping_timeout:g} s"
                _log.warning("tunnel closed: %s", self.end_reason)
                tg.cancel_scope.cancel()
                return
            try:
                await self._send(self.codec.ping(os.urandom(8)))
            except ClusterUnreachable:
                return

    async def _send(self, frame: bytes) -> None:
        async with self._send_lock:
            await self._socket.send(frame)

    async def _grant(self, stream_id: int, size: int) -> None:
        frame = self.codec.consumed(stream_id, size)
        if frame is not None:
            try:
                await self._send(frame)
            except ClusterUnreachable:
                pass  # the tunnel is going; the reader finds out from the stream

    def _forget(self, stream_id: int) -> None:
        self._streams.pop(stream_id, None)

    def _shutdown(self, reason: str) -> None:
        self.end_reason = self.end_reason or reason
        for stream in list(self._streams.values()):
            stream._close(self.end_reason)
        self._streams.clear()
        self.closed.set()
