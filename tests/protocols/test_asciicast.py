"""The asciicast v2 encoder, byte for byte."""

from __future__ import annotations

import json

from periscope_core.protocols.asciicast import AsciicastEncoder


def test_the_header_line() -> None:
    line = AsciicastEncoder().header(width=80, height=24, timestamp=1714564800, title="prod/shop/web", command="bash")
    assert line.endswith(b"\n")
    assert json.loads(line) == {
        "version": 2, "width": 80, "height": 24, "timestamp": 1714564800, "title": "prod/shop/web", "command": "bash",
    }  # fmt: skip


def test_events_are_one_json_array_per_line() -> None:
    cast = AsciicastEncoder()
    assert cast.output(1.2345678, b"hi\r\n") == b'[1.234568,"o","hi\\r\\n"]\n'
    assert cast.input(2, b"ls\r") == b'[2,"i","ls\\r"]\n'
    assert cast.resize(3.5, 132, 40) == b'[3.5,"r","132x40"]\n'


def test_a_character_split_across_chunks_is_written_whole() -> None:
    cast = AsciicastEncoder()
    euro = "€".encode()
    assert cast.output(0.1, b"a" + euro[:2]) == b'[0.1,"o","a"]\n'
    assert json.loads(cast.output(0.2, euro[2:] + b"b")) == [0.2, "o", "€b"]


def test_invalid_utf8_becomes_the_replacement_character_and_finish_flushes() -> None:
    cast = AsciicastEncoder()
    assert json.loads(cast.output(0.1, b"\xff!")) == [0.1, "o", "\ufffd!"]
    assert cast.output(0.2, "€".encode()[:1]) == b""
    assert json.loads(cast.finish(0.3)) == [0.3, "o", "\ufffd"]
    assert AsciicastEncoder().finish(1.0) == b""
