"""The agent tunnel's frames: many Kubernetes requests multiplexed over one WebSocket.

Each WebSocket binary message is one frame: a type byte, a 4-byte stream id (big
endian), then the payload. The hub opens streams, one per apiserver request; the
agent answers on them and may never open one (an agent must not reach the hub or
other agents). Stream 0 carries pings.

    OPEN    hub -> agent   the request (msgpack: method, path, query, headers, timeout, subprotocols)
    HEAD    agent -> hub   the response head (msgpack: status, headers, subprotocol)
    DATA    both           body bytes; on a WebSocket stream, one frame per message
    END     both           the sender has no more DATA for the stream
    RESET   both           the stream is abandoned (UTF-8 reason)
    WINDOW  both           the receiver consumed bytes: the sender may send that many more
    PING / PONG            stream 0, opaque payload echoed back

Flow control is per stream and per direction: a sender may have at most its window
of DATA bytes unacknowledged, so a slow browser or a slow apiserver holds back only
its own stream and memory stays bounded (window x streams). A frame that breaks the
rules for one stream resets that stream; a frame that breaks the framing itself is a
``RemoteProtocolError`` and ends the tunnel.

Like the other codecs here this does no I/O: frames in, events out; calls in, bytes out.
"""

from __future__ import annotations

import enum
import struct
from typing import Literal

import msgspec

from periscope_core.protocols.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "INITIAL_WINDOW",
    "MAX_FRAME",
    "Data",
    "End",
    "FrameType",
    "Head",
    "Open",
    "Ping",
    "Pong",
    "Reset",
    "Role",
    "StreamReset",
    "TunnelCodec",
    "TunnelEvent",
    "Window",
]

MAX_FRAME = 1 << 20
"""Largest frame (header included) either side accepts."""
MAX_DATA = MAX_FRAME - 5
INITIAL_WINDOW = 256 << 10
"""DATA bytes a sender may have outstanding per stream before the receiver grants more."""
_HEADER = struct.Struct(">BI")
_CREDIT = struct.Struct(">I")

Role = Literal["hub", "agent"]


class FrameType(enum.IntEnum):
    OPEN = 1
    HEAD = 2
    DATA = 3
    END = 4
    RESET = 5
    WINDOW = 6
    PING = 7
    PONG = 8


class Open(msgspec.Struct, frozen=True, omit_defaults=True):
    """A request the hub asks the agent to make to its apiserver."""

    method: str
    path: str
    query: list[tuple[str, str]] = []
    headers: list[tuple[str, str]] = []
    timeout: float | None = None
    subprotocols: list[str] = []
    """Non-empty: a WebSocket upgrade offering these, in order."""
    has_body: bool = False
    """The request body follows as DATA frames, then END."""
    stream: int = 0
    """Filled in on receipt."""


class Head(msgspec.Struct, frozen=True, omit_defaults=True):
    """The apiserver's answer to an OPEN: status and headers, the subprotocol after an upgrade."""

    status: int
    headers: list[tuple[str, str]] = []
    subprotocol: str = ""
    stream: int = 0
    """Filled in on receipt."""


class Data(msgspec.Struct, frozen=True):
    stream: int
    data: bytes


class End(msgspec.Struct, frozen=True):
    stream: int


class Reset(msgspec.Struct, frozen=True):
    """The peer abandoned the stream."""

    stream: int
    reason: str


class StreamReset(msgspec.Struct, frozen=True):
    """This side abandoned the stream because the peer broke its rules; a RESET is queued for it."""

    stream: int
    reason: str


class Window(msgspec.Struct, frozen=True):
    stream: int
    credit: int


class Ping(msgspec.Struct, frozen=True):
    payload: bytes


class Pong(msgspec.Struct, frozen=True):
    payload: bytes


TunnelEvent = Open | Head | Data | End | Reset | StreamReset | Window | Ping | Pong

_encode = msgspec.msgpack.Encoder()
_open = msgspec.msgpack.Decoder(Open)
_head = msgspec.msgpack.Decoder(Head)


class _Stream:
    def __init__(self) -> None:
        self.send_window = INITIAL_WINDOW
        self.receive_window = INITIAL_WINDOW
        self.local_done = False
        self.remote_done = False


class TunnelCodec:
    """One side of a tunnel: ``receive(message)`` turns a frame into events, ``send_*`` build frames.

    Frames this side must send in reply (a PONG, a RESET for a stream the peer broke) are
    queued; take them with ``data_to_send()`` after each ``receive``.
    """

    def __init__(self, role: Role) -> None:
        self.role = role
        self._streams: dict[int, _Stream] = {}
        self._next_stream = 1
        self._outbox: list[bytes] = []

    # -- receiving -------------------------------------------------------------------------

    def receive(self, message: bytes) -> list[TunnelEvent]:
        """Decode one frame; raises RemoteProtocolError when the framing itself is broken."""
        if len(message) < _HEADER.size:
            raise RemoteProtocolError("tunnel frame shorter than its header")
        if len(message) > MAX_FRAME:
            raise RemoteProtocolError(f"tunnel frame of {len(message)} bytes (limit {MAX_FRAME})")
        kind, stream = _HEADER.unpack_from(message)
        payload = message[_HEADER.size :]
        try:
            frame = FrameType(kind)
        except ValueError:
            raise RemoteProtocolError(f"unknown tunnel frame type {kind}") from None
        if frame in (FrameType.PING, FrameType.PONG):
            if stream != 0:
                raise RemoteProtocolError("ping frames belong on stream 0")
            if frame is FrameType.PING:
                self._outbox.append(_frame(FrameType.PONG, 0, payload))
                return [Ping(payload)]
            return [Pong(payload)]
        if stream == 0:
            raise RemoteProtocolError(f"{frame.name} frame on stream 0")
        if frame is FrameType.OPEN:
            return self._receive_open(stream, payload)
        state = self._streams.get(stream)
        if state is None:
            # A late frame for a stream this side already closed is normal; answer anything
            # but a RESET with one, so the peer stops sending.
            if frame is not FrameType.RESET:
                self._outbox.append(_frame(FrameType.RESET, stream, b"unknown stream"))
            return []
        if frame is FrameType.HEAD:
            return self._receive_head(stream, payload)
        if frame is FrameType.DATA:
            return self._receive_data(stream, state, payload)
        if frame is FrameType.END:
            state.remote_done = True
            self._forget_if_done(stream, state)
            return [End(stream)]
        if frame is FrameType.RESET:
            self._streams.pop(stream, None)
            return [Reset(stream, payload.decode("utf-8", errors="replace"))]
        if len(payload) != _CREDIT.size:
            return self._reset(stream, "malformed WINDOW frame")
        (credit,) = _CREDIT.unpack(payload)
        if credit == 0 or state.send_window + credit > 1 << 31:
            return self._reset(stream, "invalid window credit")
        state.send_window += credit
        return [Window(stream, credit)]

    def _receive_open(self, stream: int, payload: bytes) -> list[TunnelEvent]:
        if self.role == "hub":
            # Agents answer; they never open (a compromised agent must not reach through the hub).
            self._outbox.append(_frame(FrameType.RESET, stream, b"agents may not open streams"))
            return []
        if stream in self._streams:
            raise RemoteProtocolError(f"stream {stream} opened twice")
        try:
            request = _open.decode(payload)
        except msgspec.DecodeError:
            self._outbox.append(_frame(FrameType.RESET, stream, b"malformed OPEN frame"))
            return []
        state = self._streams[stream] = _Stream()
        state.remote_done = not request.has_body and not request.subprotocols
        return [msgspec.structs.replace(request, stream=stream)]

    def _receive_head(self, stream: int, payload: bytes) -> list[TunnelEvent]:
        if self.role == "agent":
            return self._reset(stream, "a HEAD frame from the hub")
        try:
            head = _head.decode(payload)
        except msgspec.DecodeError:
            return self._reset(stream, "malformed HEAD frame")
        return [msgspec.structs.replace(head, stream=stream)]

    def _receive_data(self, stream: int, state: _Stream, payload: bytes) -> list[TunnelEvent]:
        if state.remote_done:
            return self._reset(stream, "DATA after END")
        if len(payload) > state.receive_window:
            return self._reset(stream, "DATA beyond the flow-control window")
        state.receive_window -= len(payload)
        return [Data(stream, payload)]

    def _reset(self, stream: int, reason: str) -> list[TunnelEvent]:
        self._streams.pop(stream, None)
        self._outbox.append(_frame(FrameType.RESET, stream, reason.encode()))
        return [StreamReset(stream, reason)]

    def _forget_if_done(self, stream: int, state: _Stream) -> None:
        if state.local_done and state.remote_done:
            self._streams.pop(stream, None)

    def data_to_send(self) -> list[bytes]:
        """Frames queued by ``receive`` (pongs, resets), in order; the queue is emptied."""
        out, self._outbox = self._outbox, []
        return out

    # -- sending ---------------------------------------------------------------------------

    def open(self, request: Open) -> tuple[int, bytes]:
        """A new stream for ``request`` (hub only): its id and the OPEN frame."""
        if self.role != "hub":
            raise LocalProtocolError("only the hub opens streams")
        stream = self._next_stream
        self._next_stream += 1
        state = self._streams[stream] = _Stream()
        state.local_done = not request.has_body and not request.subprotocols
        return stream, _frame(FrameType.OPEN, stream, _encode.encode(msgspec.structs.replace(request, stream=0)))

    def head(self, head: Head) -> bytes:
        if self.role != "agent":
            raise LocalProtocolError("only the agent answers with a HEAD")
        self._state(head.stream)
        return _frame(FrameType.HEAD, head.stream, _encode.encode(msgspec.structs.replace(head, stream=0)))

    def send_window(self, stream: int) -> int:
        """DATA bytes this side may send on ``stream`` now (0 for a stream that is gone)."""
        state = self._streams.get(stream)
        return 0 if state is None or state.local_done else state.send_window

    def data(self, stream: int, data: bytes) -> bytes:
        """One DATA frame; raises LocalProtocolError beyond the window or the frame size."""
        state = self._state(stream)
        if state.local_done:
            raise LocalProtocolError(f"stream {stream} already ended")
        if len(data) > min(state.send_window, MAX_DATA):
            raise LocalProtocolError(f"{len(data)} bytes exceed stream {stream}'s window ({state.send_window})")
        state.send_window -= len(data)
        return _frame(FrameType.DATA, stream, data)

    def end(self, stream: int) -> bytes:
        state = self._state(stream)
        state.local_done = True
        self._forget_if_done(stream, state)
        return _frame(FrameType.END, stream, b"")

    def reset(self, stream: int, reason: str) -> bytes:
        self._streams.pop(stream, None)
        return _frame(FrameType.RESET, stream, reason.encode()[:1024])

    def consumed(self, stream: int, size: int) -> bytes | None:
        """The receiver used ``size`` bytes of the stream: a WINDOW frame granting them again."""
        state = self._streams.get(stream)
        if state is None or size <= 0 or state.remote_done:
            return None
        state.receive_window += size
        return _frame(FrameType.WINDOW, stream, _CREDIT.pack(size))

    def ping(self, payload: bytes) -> bytes:
        return _frame(FrameType.PING, 0, payload)

    def forget(self, stream: int) -> None:
        """Drop a stream's state without a frame (the peer reset it, or the tunnel is closing)."""
        self._streams.pop(stream, None)

    @property
    def open_streams(self) -> int:
        return len(self._streams)

    def _state(self, stream: int) -> _Stream:
        state = self._streams.get(stream)
        if state is None:
            raise LocalProtocolError(f"stream {stream} is not open")
        return state


def _frame(kind: FrameType, stream: int, payload: bytes) -> bytes:
    return _HEADER.pack(kind, stream) + payload
