from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from periscope_core.protocols import (
    Bookmark,
    Expired,
    ObjectEvent,
    RemoteProtocolError,
    StreamEnd,
    UnknownEvent,
    WatchDecoder,
    WatchError,
)

from .helpers import chunkings, decode, every_chunking

# Byte-for-byte as a kube-apiserver writes them.
EXPIRED_410 = (
    b'{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
    b'"message":"too old resource version: 1 (5)","reason":"Expired","code":410}}\n'
)
BOOKMARK = (
    b'{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12746"}}}\n'
)


def pod(name: str, rv: str) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": "default", "resourceVersion": rv, "uid": f"uid-{name}"},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
        "status": {"phase": "Running"},
    }


def line(kind: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"


STREAM = (
    line("ADDED", pod("web-0", "12740"))
    + line("MODIFIED", pod("web-0", "12744"))
    + BOOKMARK
    + line("DELETED", pod("web-0", "12750"))
    + EXPIRED_410
)

EXPECTED = [
    ObjectEvent(type="ADDED", object=pod("web-0", "12740"), resource_version="12740"),
    ObjectEvent(type="MODIFIED", object=pod("web-0", "12744"), resource_version="12744"),
    Bookmark(resource_version="12746"),
    ObjectEvent(type="DELETED", object=pod("web-0", "12750"), resource_version="12750"),
    Expired(message="too old resource version: 1 (5)"),
    StreamEnd(),
]


def test_decodes_a_real_stream_and_tracks_the_resume_point() -> None:
    decoder = WatchDecoder(resource_version="12700")
    assert decoder.resource_version == "12700"
    assert decode(decoder, [STREAM]) == EXPECTED
    assert decoder.resource_version == "12750"


def test_every_split_point_and_byte_at_a_time_give_the_same_events() -> None:
    for chunks in every_chunking(STREAM):
        assert decode(WatchDecoder(), chunks) == EXPECTED


@given(chunkings(STREAM))
def test_any_chunking_gives_the_same_events(chunks: list[bytes]) -> None:
    assert decode(WatchDecoder(), chunks) == EXPECTED


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]),
            st.text(min_size=1, max_size=8),
            st.text(max_size=20),
        ),
        max_size=8,
    ).flatmap(lambda events: st.tuples(st.just(events), st.data()))
)
def test_generated_streams_decode_the_same_under_any_chunking(case: tuple[Any, st.DataObject]) -> None:
    events, data = case
    stream = b"".join(
        line(kind, {"metadata": {"resourceVersion": rv, "name": name}}) for kind, rv, name in events
    )
    whole = decode(WatchDecoder(), [stream])
    assert decode(WatchDecoder(), data.draw(chunkings(stream))) == whole
    assert len(whole) == len(events) + 1
    decoder = WatchDecoder()
    decode(decoder, [stream])
    assert decoder.resource_version == (events[-1][1] if events else "")


def test_next_event_returns_none_until_a_line_is_complete() -> None:
    decoder = WatchDecoder()
    decoder.receive_data(BOOKMARK[:-1])
    assert decoder.next_event() is None
    decoder.receive_data(b"\n")
    assert decoder.next_event() == Bookmark(resource_version="12746")
    assert decoder.next_event() is None


def test_stream_end_is_reported_once() -> None:
    decoder = WatchDecoder()
    decoder.receive_data(b"")
    assert decoder.next_event() == StreamEnd()
    assert decoder.next_event() is None
    assert decoder.events() == []


def test_a_partial_line_at_eof_is_a_remote_error() -> None:
    decoder = WatchDecoder()
    decoder.receive_data(BOOKMARK + BOOKMARK[:30])
    decoder.receive_data(b"")
    assert decoder.next_event() == Bookmark(resource_version="12746")
    with pytest.raises(RemoteProtocolError):
        decoder.next_event()


@pytest.mark.parametrize(
    "bad",
    [
        b'{"type":"ADDED","object":{"metadata":{}}\n',  # truncated JSON
        b"[1,2]\n",
        b'{"object":{}}\n',
        b'{"type":"ADDED"}\n',
        b'{"type":"ADDED","object":5}\n',
        b'{"type":"ADDED","object":{"metadata":{"resourceVersion":12}}}\n',
        b'{"type":"ERROR","object":{"status":"Failure","code":"410"}}\n',
        b'{"type":"BOOKMARK","object":{"metadata":{}}}\n',
    ],
)
def test_malformed_events_are_remote_errors(bad: bytes) -> None:
    decoder = WatchDecoder()
    decoder.receive_data(bad)
    with pytest.raises(RemoteProtocolError):
        decoder.next_event()


def test_line_cap_is_enforced() -> None:
    decoder = WatchDecoder(max_line_bytes=64)
    decoder.receive_data(line("ADDED", pod("web-0", "1")))
    with pytest.raises(RemoteProtocolError):
        decoder.next_event()


def test_gone_reason_without_code_is_expired() -> None:
    status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Gone"}
    assert decode(WatchDecoder(), [line("ERROR", status)], eof=False) == [Expired(message="")]


def test_other_errors_carry_the_status() -> None:
    message = 'an error on the server ("unknown") has prevented the request from succeeding'
    status: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "InternalError",
        "code": 500,
    }
    assert decode(WatchDecoder(), [line("ERROR", status)], eof=False) == [
        WatchError(code=500, reason="InternalError", message=message, status=status)
    ]


def test_unknown_types_are_surfaced_and_skipped() -> None:
    stream = line("SYNC", {"metadata": {"resourceVersion": "99"}}) + BOOKMARK
    decoder = WatchDecoder(resource_version="5")
    assert decode(decoder, [stream]) == [UnknownEvent(type="SYNC"), Bookmark("12746"), StreamEnd()]


def test_resource_version_is_opaque_and_objects_without_one_keep_the_last() -> None:
    stream = (
        line("ADDED", {"metadata": {"resourceVersion": "b10"}})
        + line("MODIFIED", {"metadata": {"resourceVersion": "a9"}})
        + line("MODIFIED", {"metadata": {"name": "no-rv"}})
    )
    decoder = WatchDecoder()
    events = decode(decoder, [stream])
    assert [e.resource_version for e in events[:3]] == ["b10", "a9", ""]
    assert decoder.resource_version == "a9"


def test_crlf_terminators_and_blank_lines_are_tolerated() -> None:
    stream = b"\r\n" + BOOKMARK.replace(b"\n", b"\r\n") + b"\n  \n"
    assert decode(WatchDecoder(), [stream]) == [Bookmark("12746"), StreamEnd()]
