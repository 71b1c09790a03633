"""Channel framing of exec/attach over WebSocket (``v5.channel.k8s.io``, ``v4.channel.k8s.io``).

Message-oriented: the WebSocket library delivers whole binary messages, each one a channel
byte followed by its payload. Channel 3 carries a metav1.Status as JSON, channel 4 a
terminal size; v5 adds ``0xFF <channel>`` to half-close a channel. Each side may only
write its own channels: the client stdin and resize, the server stdout, stderr and status.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

import msgspec

from periscope_core.protocols._status import Status, parse_status
from periscope_core.protocols.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "SUBPROTOCOLS",
    "V4",
    "V5",
    "ChannelCodec",
    "ChannelEvent",
    "CloseChannel",
    "Established",
    "Exited",
    "Failed",
    "Resize",
    "Stderr",
    "Stdin",
    "Stdout",
    "exit_status",
]

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
SUBPROTOCOLS = (V5, V4)  # preference order for the Sec-WebSocket-Protocol offer

Role: TypeAlias = Literal["client", "server"]

_STDIN, _STDOUT, _STDERR, _STATUS, _RESIZE = 0, 1, 2, 3, 4
_CLOSE = 0xFF
_WRITES: dict[str, frozenset[int]] = {
    "client": frozenset({_STDIN, _RESIZE}),
    "server": frozenset({_STDOUT, _STDERR, _STATUS}),
}
_PEER: dict[str, str] = {"client": "server", "server": "client"}
_MAX_EXIT_CODE = 255  # kubectl parses the ExitCode cause as a uint8


class Stdin(msgspec.Struct, frozen=True):
    data: bytes


class Stdout(msgspec.Struct, frozen=True):
    data: bytes


class Stderr(msgspec.Struct, frozen=True):
    data: bytes


class Resize(msgspec.Struct, frozen=True):
    """New terminal size in character cells."""

    width: int
    height: int


class CloseChannel(msgspec.Struct, frozen=True):
    """v5 only: the sender will write nothing more on ``channel`` (stdin EOF)."""

    channel: int


class Exited(msgspec.Struct, frozen=True):
    """The command ended with ``code`` (Success or a NonZeroExitCode status)."""

    code: int


class Failed(msgspec.Struct, frozen=True):
    """Any other Failure status, e.g. the container was not found."""

    message: str
    reason: str = ""
    status: dict[str, Any] = msgspec.field(default_factory=dict)


class Established(msgspec.Struct, frozen=True):
    """The server's empty first status message, sent when stdout and stderr are both off.

    With stdout or stderr on, the same signal arrives as an empty Stdout or Stderr.
    """


ChannelEvent: TypeAlias = Stdin | Stdout | Stderr | Resize | CloseChannel | Exited | Failed | Established

_Dimension = Annotated[int, msgspec.Meta(ge=0, le=0xFFFF)]  # Go's TerminalSize uses uint16


class _TerminalSize(msgspec.Struct, rename="pascal"):
    width: _Dimension
    height: _Dimension


_size_decoder = msgspec.json.Decoder(_TerminalSize)
_status_decoder = msgspec.json.Decoder(dict[str, Any])


def exit_status(code: int) -> dict[str, Any]:
    """The metav1.Status a kube-apiserver sends for exit ``code``, key order included."""
    if not 0 <= code <= _MAX_EXIT_CODE:
        raise LocalProtocolError(f"exit code {code} is outside 0..{_MAX_EXIT_CODE}")
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: exit status {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


class ChannelCodec:
    """Encode and decode channel messages for one side of an exec/attach session."""

    def __init__(self, subprotocol: str, *, role: Role) -> None:
        if subprotocol not in SUBPROTOCOLS:
            raise LocalProtocolError(f"unsupported subprotocol {subprotocol!r}")
        if role not in _WRITES:
            raise LocalProtocolError(f"unknown role {role!r}")
        self.subprotocol = subprotocol
        self.role = role
        self._ours = _WRITES[role]
        self._theirs = _WRITES[_PEER[role]]

    def send(self, event: ChannelEvent) -> bytes:
        """Return the binary WebSocket message for ``event``."""
        if isinstance(event, CloseChannel):
            if self.subprotocol != V5:
                raise LocalProtocolError(f"{self.subprotocol} has no close message")
            self._check_ours(event.channel, event)
            return bytes((_CLOSE, event.channel))
        channel, payload = _encode(event)
        self._check_ours(channel, event)
        return bytes((channel,)) + payload

    def receive_message(self, message: bytes) -> ChannelEvent:
        """Decode one binary WebSocket message from the peer."""
        if not message:
            raise RemoteProtocolError("empty channel message")
        channel, payload = message[0], message[1:]
        if channel == _CLOSE and self.subprotocol == V5:
            if len(payload) != 1:
                raise RemoteProtocolError("close message must name exactly one channel")
            self._check_theirs(payload[0])
            return CloseChannel(channel=payload[0])
        self._check_theirs(channel)
        if channel == _STDIN:
            return Stdin(data=payload)
        if channel == _STDOUT:
            return Stdout(data=payload)
        if channel == _STDERR:
            return Stderr(data=payload)
        if channel == _RESIZE:
            return _decode_resize(payload)
        return _decode_status(payload) if payload else Established()

    def _check_ours(self, channel: int, event: ChannelEvent) -> None:
        if channel not in self._ours:
            raise LocalProtocolError(f"the {self.role} cannot send {type(event).__name__}")

    def _check_theirs(self, channel: int) -> None:
        if channel in self._theirs:
            return
        if channel in self._ours:
            raise RemoteProtocolError(f"the {_PEER[self.role]} wrote on channel {channel}, which is ours")
        raise RemoteProtocolError(f"unknown channel {channel}")


def _encode(event: ChannelEvent) -> tuple[int, bytes]:
    if isinstance(event, Stdin):
        return _STDIN, event.data
    if isinstance(event, Stdout):
        return _STDOUT, event.data
    if isinstance(event, Stderr):
        return _STDERR, event.data
    if isinstance(event, Resize):
        if not (0 <= event.width <= 0xFFFF and 0 <= event.height <= 0xFFFF):
            raise LocalProtocolError(f"terminal size {event.width}x{event.height} out of range")
        return _RESIZE, msgspec.json.encode(_TerminalSize(width=event.width, height=event.height))
    if isinstance(event, Exited):
        return _STATUS, msgspec.json.encode(exit_status(event.code))
    if isinstance(event, Failed):
        return _STATUS, msgspec.json.encode(_failure_status(event))
    if isinstance(event, Established):
        return _STATUS, b""
    raise LocalProtocolError(f"cannot send {type(event).__name__}")


def _failure_status(event: Failed) -> dict[str, Any]:
    # Fields of ``event.status`` keep their place; the event's message and reason win.
    status: dict[str, Any] = {"metadata": {}, **event.status, "status": "Failure"}
    for key, value in (("message", event.message), ("reason", event.reason)):
        if value:
            status[key] = value
        else:
            status.pop(key, None)
    return status


def _decode_resize(payload: bytes) -> Resize:
    try:
        size = _size_decoder.decode(payload)
    except msgspec.DecodeError as exc:
        raise RemoteProtocolError(f"malformed resize message: {exc}") from exc
    return Resize(width=size.width, height=size.height)


def _decode_status(payload: bytes) -> Exited | Failed:
    try:
        obj = _status_decoder.decode(payload)
    except msgspec.DecodeError as exc:
        raise RemoteProtocolError(f"malformed status message: {exc}") from exc
    status = parse_status(obj)
    if status.status == "Success":
        return Exited(code=0)
    if status.status != "Failure":
        raise RemoteProtocolError(f"status message with unknown status {status.status!r}")
    if status.reason == "NonZeroExitCode":
        code = _exit_code_cause(status)
        if code is not None:
            return Exited(code=code)
    return Failed(message=status.message, reason=status.reason, status=obj)


def _exit_code_cause(status: Status) -> int | None:
    for cause in status.details.causes if status.details else ():
        if cause.reason == "ExitCode":
            if not (cause.message.isascii() and cause.message.isdigit()):
                raise RemoteProtocolError(f"exit code cause is not a number: {cause.message!r}")
            return int(cause.message)
    return None
