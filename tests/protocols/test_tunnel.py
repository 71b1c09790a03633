"""The agent tunnel's frames, both ends driven without sockets: requests, answers, flow control, abuse."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from periscope_core.protocols.errors import LocalProtocolError, RemoteProtocolError
from periscope_core.protocols.tunnel import (
    INITIAL_WINDOW,
    MAX_FRAME,
    Data,
    End,
    FrameType,
    Head,
    Open,
    Ping,
    Pong,
    Reset,
    StreamReset,
    TunnelCodec,
    Window,
)

LIST = Open(method="GET", path="/api/v1/pods", query=[("limit", "5")], headers=[("Impersonate-User", "alice")])


def pair() -> tuple[TunnelCodec, TunnelCodec]:
    return TunnelCodec("hub"), TunnelCodec("agent")


def frame(kind: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">BI", kind, stream) + payload


def test_a_request_and_its_streamed_answer() -> None:
    hub, agent = pair()
    stream, opening = hub.open(LIST)
    [received] = agent.receive(opening)
    assert received == Open(method="GET", path="/api/v1/pods", query=[("limit", "5")],
                            headers=[("Impersonate-User", "alice")], stream=stream)  # fmt: skip
    answer = [agent.head(Head(status=200, headers=[("content-type", "application/json")], stream=stream)),
              agent.data(stream, b'{"items":'), agent.data(stream, b"[]}"), agent.end(stream)]  # fmt: skip
    events = [event for message in answer for event in hub.receive(message)]
    assert events == [Head(status=200, headers=[("content-type", "application/json")], stream=stream),
                      Data(stream, b'{"items":'), Data(stream, b"[]}"), End(stream)]  # fmt: skip
    assert (hub.open_streams, agent.open_streams) == (0, 0)  # both directions done: forgotten


def test_streams_are_independent_and_numbered_by_the_hub() -> None:
    hub, agent = pair()
    first, second = hub.open(LIST), hub.open(LIST)
    assert (first[0], second[0]) == (1, 2)
    for _, message in (second, first):
        agent.receive(message)
    hub.receive(agent.head(Head(status=404, stream=2)))
    assert hub.receive(agent.end(2)) == [End(2)]
    assert hub.receive(agent.head(Head(status=200, stream=1))) == [Head(status=200, stream=1)]


def test_a_websocket_stream_carries_messages_both_ways_until_both_end() -> None:
    hub, agent = pair()
    stream, opening = hub.open(Open(method="GET", path="/exec", subprotocols=["v5.channel.k8s.io"]))
    agent.receive(opening)
    hub.receive(agent.head(Head(status=101, subprotocol="v5.channel.k8s.io", stream=stream)))
    assert agent.receive(hub.data(stream, b"\x00ls\n")) == [Data(stream, b"\x00ls\n")]
    assert hub.receive(agent.data(stream, b"\x01bin\n")) == [Data(stream, b"\x01bin\n")]
    agent.receive(hub.end(stream))
    assert hub.receive(agent.end(stream)) == [End(stream)]
    assert (hub.open_streams, agent.open_streams) == (0, 0)


def test_a_sender_stays_inside_the_window_until_the_receiver_grants_more() -> None:
    hub, agent = pair()
    stream, opening = hub.open(LIST)
    agent.receive(opening)
    agent.head(Head(status=200, stream=stream))
    chunk = b"x" * (INITIAL_WINDOW // 4)
    sent = [agent.data(stream, chunk) for _ in range(4)]
    assert agent.send_window(stream) == 0
    with pytest.raises(LocalProtocolError, match="window"):
        agent.data(stream, b"y")
    for message in sent:
        hub.receive(message)
    grant = hub.consumed(stream, len(chunk))
    assert grant is not None
    assert agent.receive(grant) == [Window(stream, len(chunk))]
    assert agent.send_window(stream) == len(chunk)


def test_data_beyond_the_window_resets_only_that_stream() -> None:
    hub, agent = pair()
    flood, other = hub.open(LIST), hub.open(LIST)
    for _, message in (flood, other):
        agent.receive(message)
    events = hub.receive(frame(FrameType.DATA, flood[0], b"x" * (INITIAL_WINDOW + 1)))
    assert events == [StreamReset(flood[0], "DATA beyond the flow-control window")]
    assert hub.data_to_send() == [frame(FrameType.RESET, flood[0], b"DATA beyond the flow-control window")]
    assert hub.receive(agent.head(Head(status=200, stream=other[0]))) == [Head(status=200, stream=other[0])]


def test_an_agent_may_not_open_a_stream() -> None:
    hub, agent = pair()
    with pytest.raises(LocalProtocolError):
        agent.open(LIST)
    forged = frame(FrameType.OPEN, 7, b"\x80")
    assert hub.receive(forged) == []
    assert hub.data_to_send() == [frame(FrameType.RESET, 7, b"agents may not open streams")]


def test_frames_for_unknown_streams_are_answered_with_a_reset() -> None:
    hub, _ = pair()
    assert hub.receive(frame(FrameType.DATA, 99, b"hello")) == []
    assert hub.data_to_send() == [frame(FrameType.RESET, 99, b"unknown stream")]
    assert hub.receive(frame(FrameType.RESET, 98, b"bye")) == []
    assert hub.data_to_send() == []  # never a reset for a reset


def test_resets_and_pings() -> None:
    hub, agent = pair()
    stream, opening = hub.open(LIST)
    agent.receive(opening)
    assert agent.receive(hub.reset(stream, "client went away")) == [Reset(stream, "client went away")]
    assert agent.open_streams == 0
    assert agent.receive(hub.ping(b"12345678")) == [Ping(b"12345678")]
    [pong] = agent.data_to_send()
    assert hub.receive(pong) == [Pong(b"12345678")]


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (b"\x03\x00", "shorter"),
        (frame(42, 1), "unknown tunnel frame type"),
        (frame(FrameType.DATA, 0, b"x"), "stream 0"),
        (frame(FrameType.PING, 3, b"x"), "stream 0"),
        (frame(FrameType.DATA, 1, b"x" * MAX_FRAME), "limit"),
    ],
)
def test_broken_framing_ends_the_tunnel(message: bytes, problem: str) -> None:
    with pytest.raises(RemoteProtocolError, match=problem):
        TunnelCodec("hub").receive(message)


def test_bad_window_credit_resets_the_stream() -> None:
    hub, agent = pair()
    stream, opening = hub.open(LIST)
    agent.receive(opening)
    assert agent.receive(frame(FrameType.WINDOW, stream, struct.pack(">I", 0))) == [
        StreamReset(stream, "invalid window credit")
    ]


@given(st.binary(max_size=64))
def test_any_bytes_either_decode_or_fail_as_a_protocol_error(message: bytes) -> None:
    for role in ("hub", "agent"):
        try:
            TunnelCodec(role).receive(message)  # type: ignore[arg-type]
        except RemoteProtocolError:
            pass
