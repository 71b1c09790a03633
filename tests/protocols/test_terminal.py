"""The browser terminal protocol, frame by frame."""

from __future__ import annotations

import json

import pytest

from periscope_core.protocols.errors import RemoteProtocolError
from periscope_core.protocols.terminal import (
    MAX_CONTROL_FRAME,
    Closed,
    CloseRequest,
    ErrorMessage,
    Hello,
    IdleWarn,
    Ping,
    Pong,
    ResizeRequest,
    StdinData,
    decode_client_frame,
    encode_server_message,
)


def test_binary_frames_are_stdin_verbatim() -> None:
    assert decode_client_frame(b'{"type":"close"}\x00\xff') == StdinData(b'{"type":"close"}\x00\xff')


@pytest.mark.parametrize(
    ("frame", "event"),
    [
        ('{"type":"resize","cols":132,"rows":40}', ResizeRequest(cols=132, rows=40)),
        ('{"type":"resize","rows":1,"cols":65535,"extra":true}', ResizeRequest(cols=65535, rows=1)),
        ('{"type":"close"}', CloseRequest()),
        ('{"type":"pong"}', Pong()),
    ],
)
def test_text_frames_are_control_messages(frame: str, event: object) -> None:
    assert decode_client_frame(frame) == event


@pytest.mark.parametrize(
    "frame",
    [
        '{"type":"resize","cols":0,"rows":40}',
        '{"type":"resize","cols":70000,"rows":40}',
        '{"type":"resize","cols":"80","rows":40}',
        '{"type":"stdin","data":"ls"}',
        '{"cols":80}',
        "not json",
        '{"type":"close"' + " " * MAX_CONTROL_FRAME + "}",
    ],
)
def test_malformed_control_frames_are_remote_errors(frame: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_client_frame(frame)


@pytest.mark.parametrize(
    ("message", "wire"),
    [
        (Hello(session_id="s1", container="app", transport="ws_v5"),
         {"type": "hello", "sessionId": "s1", "container": "app", "transport": "ws_v5"}),
        (IdleWarn(seconds_remaining=30), {"type": "idle_warn", "secondsRemaining": 30}),
        (Ping(), {"type": "ping"}),
        (Closed(reason="container_exit", exit_code=2), {"type": "closed", "reason": "container_exit", "exitCode": 2}),
        (Closed(reason="client_close"), {"type": "closed", "reason": "client_close", "exitCode": None}),
        (ErrorMessage(code="E_NO_SHELL", message="no shell"),
         {"type": "error", "code": "E_NO_SHELL", "message": "no shell"}),
        (ErrorMessage(code="E_CAP_USER", message="m", active_sessions=[{"sessionId": "s1"}]),
         {"type": "error", "code": "E_CAP_USER", "message": "m", "activeSessions": [{"sessionId": "s1"}]}),
    ],
)  # fmt: skip
def test_server_messages_on_the_wire(message: object, wire: dict[str, object]) -> None:
    assert json.loads(encode_server_message(message)) == wire  # type: ignore[arg-type]
