from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from periscope_core.protocols import LineBuffer, LocalProtocolError, ProtocolError, RemoteProtocolError

from .helpers import chunkings, every_chunking


def drain(buf: LineBuffer) -> list[bytes]:
    lines = []
    while (line := buf.next_line()) is not None:
        lines.append(line)
    return lines


def split_lines(chunks: list[bytes], *, split_cr: bool = False) -> tuple[list[bytes], bytes | None]:
    buf = LineBuffer(split_cr=split_cr)
    lines = []
    for chunk in chunks:
        buf.receive_data(chunk)
        lines += drain(buf)
    buf.receive_data(b"")
    lines += drain(buf)
    return lines, buf.close()


def test_lf_mode_splits_on_lf_and_strips_one_trailing_cr() -> None:
    assert split_lines([b"a\r\nb\n\nc\r\r\nd\re\n"]) == ([b"a", b"b", b"", b"c\r", b"d\re"], None)


def test_lf_mode_returns_the_unterminated_tail_on_close() -> None:
    assert split_lines([b"a\nlast"]) == ([b"a"], b"last")
    assert split_lines([b"a\nlast\r"]) == ([b"a"], b"last")


def test_next_line_needs_the_terminator() -> None:
    buf = LineBuffer()
    buf.receive_data(b'{"partial":')
    assert buf.next_line() is None
    buf.receive_data(b"1}\n")
    assert buf.next_line() == b'{"partial":1}'
    assert buf.next_line() is None


@pytest.mark.parametrize("split_cr", [False, True])
def test_every_split_point_gives_the_same_lines(split_cr: bool) -> None:
    data = b"first\r\nsecond\n\nthird\r\n\r\nfourth"
    expected = split_lines([data], split_cr=split_cr)
    for chunks in every_chunking(data):
        assert split_lines(chunks, split_cr=split_cr) == expected


def test_cr_mode_accepts_cr_lf_and_crlf() -> None:
    assert split_lines([b"a\rb\nc\r\nd\r\re\n\r\nf"], split_cr=True) == (
        [b"a", b"b", b"c", b"d", b"", b"e", b""],
        b"f",
    )


def test_cr_mode_treats_crlf_split_across_chunks_as_one_terminator() -> None:
    assert split_lines([b"a\r", b"\nb\r", b"\n"], split_cr=True) == ([b"a", b"b"], None)


def test_cr_mode_releases_a_cr_terminated_line_without_waiting_for_the_next_byte() -> None:
    buf = LineBuffer(split_cr=True)
    buf.receive_data(b"data: x\r\r")
    assert drain(buf) == [b"data: x", b""]
    buf.receive_data(b"\r")
    assert drain(buf) == [b""]


def test_cr_mode_only_swallows_an_lf_that_directly_follows_the_cr() -> None:
    assert split_lines([b"a\r", b"b\n"], split_cr=True) == ([b"a", b"b"], None)
    assert split_lines([b"a\r", b"\n", b"\n"], split_cr=True) == ([b"a", b""], None)


_pieces = st.sampled_from([b"a", b"bc", b"\r", b"\n", b"\r\n", b"\xff"])


@given(
    st.lists(_pieces, max_size=40)
    .map(b"".join)
    .flatmap(lambda data: st.tuples(st.just(data), chunkings(data)))
)
def test_cr_mode_matches_a_whole_input_split_under_any_chunking(case: tuple[bytes, list[bytes]]) -> None:
    data, chunks = case
    *complete, tail = re.split(rb"\r\n|\r|\n", data)
    assert split_lines(chunks, split_cr=True) == (complete, tail or None)


def test_a_line_longer_than_the_cap_is_a_remote_error() -> None:
    buf = LineBuffer(max_line_bytes=4)
    buf.receive_data(b"1234\n12345\n")
    assert buf.next_line() == b"1234"
    with pytest.raises(RemoteProtocolError):
        buf.next_line()


def test_an_unterminated_line_over_the_cap_fails_before_its_end_arrives() -> None:
    buf = LineBuffer(max_line_bytes=4, split_cr=True)
    buf.receive_data(b"1234")
    assert buf.next_line() is None
    buf.receive_data(b"5")
    with pytest.raises(RemoteProtocolError) as info:
        buf.next_line()
    assert info.value.error_status_hint == 400


def test_lf_mode_cap_does_not_count_the_cr_of_crlf() -> None:
    buf = LineBuffer(max_line_bytes=4)
    for byte in b"1234\r\n":
        buf.receive_data(bytes([byte]))
        line = buf.next_line()
    assert line == b"1234"


def test_at_eof_and_misuse_after_eof() -> None:
    buf = LineBuffer()
    assert not buf.at_eof
    buf.receive_data(b"x\n")
    buf.receive_data(b"")
    assert buf.at_eof
    with pytest.raises(LocalProtocolError):
        buf.receive_data(b"more")
    with pytest.raises(LocalProtocolError):
        buf.close()  # the complete line was never read


def test_close_without_a_tail_returns_none() -> None:
    buf = LineBuffer()
    buf.receive_data(b"x\n")
    assert buf.next_line() == b"x"
    assert buf.close() is None
    assert buf.at_eof


def test_protocol_error_base_cannot_be_raised_and_hints_default_by_side() -> None:
    with pytest.raises(TypeError):
        ProtocolError("who is at fault?")
    assert LocalProtocolError("bug").error_status_hint == 500
    assert RemoteProtocolError("garbage").error_status_hint == 400
    assert RemoteProtocolError("garbage", error_status_hint=502).error_status_hint == 502
    assert isinstance(RemoteProtocolError("x"), ProtocolError)
