from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from periscope_core.protocols import (
    LocalProtocolError,
    RemoteProtocolError,
    ServerSentEvent,
    SSEDecoder,
    encode_comment,
    encode_event,
)

from .helpers import chunkings, decode, every_chunking


def decode_all(*chunks: bytes) -> list[ServerSentEvent]:
    return decode(SSEDecoder(), chunks)


def test_encode_event_writes_one_data_line_per_line() -> None:
    assert encode_event(data="a\nb\r\nc\rd", event="pods", id="42", retry=3000) == (
        b"event: pods\nid: 42\nretry: 3000\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
    )
    assert encode_event(data="{}") == b"data: {}\n\n"
    assert encode_event(data="") == b"data: \n\n"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"event": "a\nb"},
        {"event": "a\rb"},
        {"id": "1\r\n"},
        {"id": "1\0"},
        {"retry": -1},
        {"data": "\ud800"},
    ],
)
def test_encode_event_rejects_values_that_would_break_framing(kwargs: dict[str, object]) -> None:
    with pytest.raises(LocalProtocolError):
        encode_event(**{"data": "x", **kwargs})  # type: ignore[arg-type]


def test_encode_comment() -> None:
    assert encode_comment("ping") == b": ping\n\n"
    assert encode_comment() == b":\n\n"
    assert encode_comment("two\nlines") == b": two\n: lines\n\n"
    with pytest.raises(LocalProtocolError):
        encode_comment("\udfff")
    assert decode_all(encode_comment("two\nlines")) == []


def test_whatwg_examples() -> None:
    # From the "Interpreting an event stream" examples of the HTML standard.
    assert decode_all(b"data: YHOO\ndata: +2\ndata: 10\n\n") == [ServerSentEvent("message", "YHOO\n+2\n10")]
    stream = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"
    assert decode_all(stream) == [
        ServerSentEvent("message", "first event", id="1"),
        ServerSentEvent("message", "second event", id=""),
        ServerSentEvent("message", " third event"),
    ]
    # The third block has no blank line before EOF and is discarded.
    assert decode_all(b"data\n\ndata\ndata\n\ndata:") == [
        ServerSentEvent("message", ""),
        ServerSentEvent("message", "\n"),
    ]
    assert decode_all(b"data:test\n\ndata: test\n\n") == [ServerSentEvent("message", "test")] * 2


def test_event_type_retry_and_unknown_fields() -> None:
    stream = b"event: add\nretry: 1500\nfoo: bar\ndata: x\n\nretry: soon\nevent\ndata: y\n\n"
    decoder = SSEDecoder()
    assert decode(decoder, [stream]) == [
        ServerSentEvent("add", "x", retry=1500),
        ServerSentEvent("message", "y"),
    ]
    assert decoder.retry == 1500


def test_blocks_without_data_are_not_dispatched_but_their_id_counts() -> None:
    decoder = SSEDecoder()
    assert decode(decoder, [b"id: 7\nevent: noop\n\n"], eof=False) == []
    assert decoder.last_event_id == "7"
    assert decode(decoder, [b"data: later\n\n"], eof=False) == [ServerSentEvent("message", "later")]
    assert decoder.last_event_id == "7"


def test_an_id_with_nul_is_ignored_and_an_unfinished_block_sets_nothing() -> None:
    decoder = SSEDecoder()
    assert decode(decoder, [b"id: 1\ndata: a\n\nid: 2\0\ndata: b\n\nid: 3\ndata: c\n"]) == [
        ServerSentEvent("message", "a", id="1"),
        ServerSentEvent("message", "b"),
    ]
    assert decoder.last_event_id == "1"


def test_leading_bom_is_stripped_once_even_when_split() -> None:
    bom = "\ufeff".encode()
    stream = bom + b"data: a\n\n" + bom + b"data: b\n\n"
    expected = [ServerSentEvent("message", "a")]  # a BOM later on makes an unknown field name
    for chunks in every_chunking(stream):
        assert decode(SSEDecoder(), chunks) == expected


STREAM = b"event: first\rdata: 1\r\rdata: 2\r\ndata: 2b\r\n\r\n: keep-alive\n\nid: x\ndata: 3\n\n"
EXPECTED = [
    ServerSentEvent("first", "1"),
    ServerSentEvent("message", "2\n2b"),
    ServerSentEvent("message", "3", id="x"),
]


def test_cr_lf_and_crlf_terminators_under_every_split_point() -> None:
    for chunks in every_chunking(STREAM):
        assert decode(SSEDecoder(), chunks) == EXPECTED


def test_a_cr_only_stream_dispatches_without_waiting_for_more_bytes() -> None:
    decoder = SSEDecoder()
    decoder.receive_data(b"data: now\r\r")
    assert decoder.next_event() == ServerSentEvent("message", "now")


def test_invalid_utf8_is_replaced() -> None:
    assert decode_all(b"data: \xff\xfe ok\n\n") == [ServerSentEvent("message", "\ufffd\ufffd ok")]


def test_event_size_cap() -> None:
    decoder = SSEDecoder(max_event_bytes=32)
    decoder.receive_data(b"data: 0123456789\n" * 3)
    with pytest.raises(RemoteProtocolError):
        decoder.next_event()
    long_line = SSEDecoder(max_event_bytes=32)
    long_line.receive_data(b"data: " + b"x" * 40)
    with pytest.raises(RemoteProtocolError):
        long_line.next_event()


single_line = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=10)
events = st.lists(
    st.tuples(
        st.text(st.characters(codec="utf-8"), max_size=40),
        st.none() | single_line,
        st.none() | single_line.filter(lambda s: "\0" not in s),
        st.none() | st.integers(0, 10**6),
        st.booleans(),
    ),
    max_size=6,
)


@given(events.flatmap(lambda evs: st.tuples(st.just(evs), st.data())))
def test_encode_then_decode_round_trips_under_any_chunking(case: tuple[list[Any], st.DataObject]) -> None:
    evs, data = case
    stream = b"".join(
        (encode_comment("ping") if comment else b"") + encode_event(data=d, event=e, id=i, retry=r)
        for d, e, i, r, comment in evs
    )
    expected = [
        ServerSentEvent(e or "message", re.sub(r"\r\n|\r", "\n", d), i, r) for d, e, i, r, _ in evs
    ]
    decoder = SSEDecoder()
    assert decode(decoder, data.draw(chunkings(stream))) == expected
    ids = [i for _, _, i, _, _ in evs if i is not None]
    assert decoder.last_event_id == (ids[-1] if ids else "")
