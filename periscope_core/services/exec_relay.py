"""The relay of one open exec session: browser frames to channel messages and back, under its timers.

Three tasks share the session: browser to container, container to browser, and the
clock (pings, the idle warning, the idle cut). Whichever ends the session first names
the reason (``SessionTimers.close``) and cancels the other two. Each direction awaits
its far side before reading more, so a fast writer is held back by a slow reader
instead of filling memory: at most one frame per direction, plus the upstream
reader's small buffer, is in flight.
"""

from __future__ import annotations

import anyio
import msgspec

from periscope_core.domain.errors import ClusterUnreachable, InvalidRequest, PeriscopeError, api_error, decode_status
from periscope_core.domain.exec import ClosedBy, SessionCapReached, close_code
from periscope_core.domain.exec_timers import Expire, IdleWarn, Ping, SessionTimers
from periscope_core.ports.terminal import TerminalGone, TerminalPeer
from periscope_core.protocols import terminal
from periscope_core.protocols.errors import RemoteProtocolError
from periscope_core.protocols.k8s_channel import Exited, Failed, Stderr, Stdout
from periscope_core.services.exec_recording import SessionRecorder
from periscope_core.services.exec_upstream import Lost, UpstreamProcess

__all__ = ["Relay", "last_words"]

_STDIN_CHUNK = 32 << 10  # apiservers cap WebSocket messages; a large paste goes in slices
_OUTPUT_BATCH = 256 << 10  # bytes of read-ahead output joined into one browser frame
_GOODBYE_TIMEOUT = 2.0  # seconds for the last control frames to a browser that may be gone
_NORMAL_CLOSURE = 1000


class Relay:
    """Run with ``run()``; afterwards the counters, exit code and error describe the session."""

    def __init__(
        self,
        *,
        peer: TerminalPeer,
        process: UpstreamProcess,
        timers: SessionTimers,
        recorder: SessionRecorder | None = None,
    ) -> None:
        self.peer = peer
        self.process = process
        self.timers = timers
        self.recorder = recorder
        self.bytes_stdin = 0
        self.bytes_stdout = 0
        self.exit_code: int | None = None
        self.error: PeriscopeError | None = None
        self._scope = anyio.CancelScope()
        # Contention is rare (a ping racing output): skip the checkpoint an uncontended acquire costs.
        self._send_lock = anyio.Lock(fast_acquire=True)

    def close(self, reason: ClosedBy, error: PeriscopeError | None = None) -> None:
        """End the session for ``reason`` unless something else already did."""
        if self.timers.close(reason):
            self.error = error
        self._scope.cancel()

    async def run(self) -> ClosedBy:
        with self._scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._from_browser)
                tg.start_soon(self._from_container)
                tg.start_soon(self._clock)
        return self.timers.closed_by or "failed"

    async def send_text(self, message: terminal.ServerMessage) -> None:
        async with self._send_lock:
            await self.peer.send_text(terminal.encode_server_message(message))

    async def _send_bytes(self, data: bytes) -> None:
        async with self._send_lock:
            await self.peer.send_bytes(data)

    async def _from_browser(self) -> None:
        try:
            while (frame := await self.peer.receive()) is not None:
                self.timers.client_alive()
                event = terminal.decode_client_frame(frame)
                if isinstance(event, terminal.StdinData):
                    await self._stdin(event.data)
                elif isinstance(event, terminal.ResizeRequest):
                    await self.process.stream.resize(event.cols, event.rows)
                    if self.recorder:
                        await self.recorder.resize(anyio.current_time(), event.cols, event.rows)
                elif isinstance(event, terminal.CloseRequest):
                    break
        except RemoteProtocolError as exc:
            self.close("failed", InvalidRequest(str(exc)))
        except PeriscopeError as exc:
            self.close("failed", exc)
        self.close("client_close")

    async def _stdin(self, data: bytes) -> None:
        if not data:
            return
        now = anyio.current_time()
        self.timers.activity(now)
        self.bytes_stdin += len(data)
        if self.recorder:
            await self.recorder.input(now, data)
        for start in range(0, len(data), _STDIN_CHUNK):
            await self.process.stream.send_stdin(data[start : start + _STDIN_CHUNK])

    async def _from_container(self) -> None:
        try:
            while (event := await self.process.next_event()) is not None:
                if isinstance(event, Stdout | Stderr):
                    # A burst read ahead goes to the browser as one frame: each frame costs more than its bytes.
                    queued = self.process.queued_output(_OUTPUT_BATCH)
                    await self._output(b"".join((event.data, *queued)) if queued else event.data)
                elif isinstance(event, Exited):
                    self.exit_code = event.code
                    self.close("container_exit")
                elif isinstance(event, Failed):
                    status = decode_status(msgspec.json.encode(event.status), 500)
                    self.close("failed", api_error(status))
                elif isinstance(event, Lost):
                    self.close("failed", ClusterUnreachable(f"the exec stream broke: {event.message}"))
        except TerminalGone:
            self.close("client_close")
        self.close("failed", ClusterUnreachable("the apiserver ended the exec stream without an exit status"))

    async def _output(self, data: bytes) -> None:
        if not data:
            return
        now = anyio.current_time()
        self.timers.activity(now)
        self.bytes_stdout += len(data)
        if self.recorder:
            await self.recorder.output(now, data)
        await self._send_bytes(data)

    async def _clock(self) -> None:
        try:
            while True:
                for action in self.timers.poll(anyio.current_time()):
                    if isinstance(action, Expire):
                        self.close(action.reason)
                    elif isinstance(action, IdleWarn):
                        await self.send_text(terminal.IdleWarn(seconds_remaining=action.seconds_remaining))
                    elif isinstance(action, Ping):
                        await self.send_text(terminal.Ping())
                await anyio.sleep_until(self.timers.next_deadline())
        except TerminalGone:
            self.close("client_close")


async def last_words(
    peer: TerminalPeer, *, error: PeriscopeError | None = None, closed: terminal.Closed | None = None, reason: str
) -> None:
    """The last control frames (``error``, then ``closed``) and the close code; the browser may be gone.

    The close code is 1000, or ``4000 + http_status`` after an error.
    """
    frames: list[terminal.ServerMessage] = []
    if error is not None:
        active = msgspec.to_builtins(error.active) if isinstance(error, SessionCapReached) else None
        frames.append(terminal.ErrorMessage(code=error.code, message=error.message, active_sessions=active))
    if closed is not None:
        frames.append(closed)
    with anyio.move_on_after(_GOODBYE_TIMEOUT):
        try:
            for frame in frames:
                await peer.send_text(terminal.encode_server_message(frame))
        except TerminalGone:
            pass
        await peer.close(_NORMAL_CLOSURE if error is None else close_code(error), reason)
