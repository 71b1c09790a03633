"""The browser side of an exec session: binary frames are terminal bytes, text frames JSON control.

Client to server: a binary frame is stdin; text frames are ``{"type":"resize","cols","rows"}``,
``{"type":"close"}`` and ``{"type":"pong"}`` (the answer to a ping). Server to client: a binary
frame is output (stdout and stderr merged, as a terminal shows them); text frames are
``hello{sessionId, container, transport}``, ``idle_warn{secondsRemaining}``, ``ping``,
``closed{reason, exitCode}`` and ``error{code, message, retryable}`` (plus ``activeSessions``
for the cap errors). Unknown fields are ignored, unknown types are a RemoteProtocolError.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

import msgspec

from periscope_core.protocols.errors import RemoteProtocolError

__all__ = [
    "MAX_CONTROL_FRAME",
    "ClientEvent",
    "CloseRequest",
    "Closed",
    "ErrorMessage",
    "Hello",
    "IdleWarn",
    "Ping",
    "Pong",
    "ResizeRequest",
    "ServerMessage",
    "StdinData",
    "decode_client_frame",
    "encode_server_message",
]

MAX_CONTROL_FRAME = 4096
"""Bytes; a text frame is a small JSON object, never terminal data."""

_Cells = Annotated[int, msgspec.Meta(ge=1, le=0xFFFF)]


class StdinData(msgspec.Struct, frozen=True):
    data: bytes


class ResizeRequest(msgspec.Struct, frozen=True, tag_field="type", tag="resize"):
    cols: _Cells
    rows: _Cells


class CloseRequest(msgspec.Struct, frozen=True, tag_field="type", tag="close"):
    pass


class Pong(msgspec.Struct, frozen=True, tag_field="type", tag="pong"):
    pass


ClientEvent: TypeAlias = StdinData | ResizeRequest | CloseRequest | Pong

_control_decoder = msgspec.json.Decoder(ResizeRequest | CloseRequest | Pong)


class Hello(msgspec.Struct, frozen=True, tag_field="type", tag="hello", rename="camel"):
    session_id: str
    container: str
    transport: str


class IdleWarn(msgspec.Struct, frozen=True, tag_field="type", tag="idle_warn", rename="camel"):
    seconds_remaining: int


class Ping(msgspec.Struct, frozen=True, tag_field="type", tag="ping"):
    pass


class Closed(msgspec.Struct, frozen=True, tag_field="type", tag="closed", rename="camel"):
    reason: str
    exit_code: int | None = None


class ErrorMessage(msgspec.Struct, frozen=True, tag_field="type", tag="error", rename="camel", omit_defaults=True):
    code: str
    message: str
    retryable: bool = False
    active_sessions: list[dict[str, Any]] | None = None


ServerMessage: TypeAlias = Hello | IdleWarn | Ping | Closed | ErrorMessage

_encoder = msgspec.json.Encoder()


def decode_client_frame(frame: bytes | str) -> ClientEvent:
    """One WebSocket frame from the browser: bytes for a binary frame, str for a text one."""
    if isinstance(frame, bytes):
        return StdinData(frame)
    if len(frame) > MAX_CONTROL_FRAME:
        raise RemoteProtocolError(f"control frame larger than {MAX_CONTROL_FRAME} bytes")
    try:
        event: ResizeRequest | CloseRequest | Pong = _control_decoder.decode(frame)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise RemoteProtocolError(f"malformed control frame: {exc}") from exc
    return event


def encode_server_message(message: ServerMessage) -> str:
    """The text frame for a control message."""
    return _encoder.encode(message).decode()
