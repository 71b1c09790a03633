"""asciinema's asciicast v2 format: a JSON header line, then one JSON array line per event.

Events are ``[elapsed_seconds, code, data]`` with code ``o`` (output), ``i`` (input) or
``r`` (resize, data ``"COLSxROWS"``). Data is text, so each direction keeps an incremental
UTF-8 decoder: a character split across two chunks is written whole with the second one,
and bytes that are not UTF-8 become U+FFFD, as asciinema itself records them.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping

import msgspec

__all__ = ["AsciicastEncoder"]

_encoder = msgspec.json.Encoder()


class _Header(msgspec.Struct, omit_defaults=True):
    version: int
    width: int
    height: int
    timestamp: int
    title: str = ""
    command: str = ""
    env: dict[str, str] = {}


def _new_decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


class AsciicastEncoder:
    """Turns one session's events into asciicast v2 lines (each ending in a newline)."""

    def __init__(self) -> None:
        self._output = _new_decoder()
        self._input = _new_decoder()

    def header(
        self,
        *,
        width: int,
        height: int,
        timestamp: int,
        title: str = "",
        command: str = "",
        env: Mapping[str, str] | None = None,
    ) -> bytes:
        header = _Header(2, width, height, timestamp, title, command, dict(env or {}))
        return _encoder.encode(header) + b"\n"

    def output(self, elapsed: float, data: bytes) -> bytes:
        return self._event(elapsed, "o", self._output.decode(data))

    def input(self, elapsed: float, data: bytes) -> bytes:
        return self._event(elapsed, "i", self._input.decode(data))

    def resize(self, elapsed: float, cols: int, rows: int) -> bytes:
        return self._event(elapsed, "r", f"{cols}x{rows}")

    def finish(self, elapsed: float) -> bytes:
        """Whatever the decoders still hold (an incomplete character), flushed."""
        return self._event(elapsed, "o", self._output.decode(b"", final=True)) + self._event(
            elapsed, "i", self._input.decode(b"", final=True)
        )

    @staticmethod
    def _event(elapsed: float, code: str, text: str) -> bytes:
        if not text and code != "r":
            return b""
        return _encoder.encode((round(max(elapsed, 0.0), 6), code, text)) + b"\n"
