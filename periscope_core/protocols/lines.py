"""Incremental line splitting shared by the line-oriented codecs (watch, SSE)."""

from __future__ import annotations

import re

from periscope_core.protocols.errors import LocalProtocolError, RemoteProtocolError

__all__ = ["LineBuffer"]

_LF = 0x0A
_CR = 0x0D
_CR_OR_LF = re.compile(rb"[\r\n]")


class LineBuffer:
    """Split a byte stream into lines, whatever the chunk boundaries.

    With ``split_cr=False`` lines end at LF and one trailing CR is dropped (JSON lines).
    With ``split_cr=True`` CR, LF and CRLF each end a line (the SSE rule). A CR that ends
    a chunk ends its line at once, and an LF opening the next chunk is then swallowed,
    so a CRLF cut in two is still one terminator and a CR-only stream is never held up.
    """

    def __init__(self, max_line_bytes: int = 1 << 20, *, split_cr: bool = False) -> None:
        if max_line_bytes < 1:
            raise LocalProtocolError("max_line_bytes must be positive")
        self._max = max_line_bytes
        self._split_cr = split_cr
        self._buf = bytearray()
        self._pos = 0  # start of the first unread line
        self._scan = 0  # bytes before this offset hold no terminator
        self._skip_lf = False  # the last line ended with CR; an LF right after it is part of it
        self._eof = False

    @property
    def at_eof(self) -> bool:
        """True once EOF (``b""``) has been received; complete lines may still be unread."""
        return self._eof

    def receive_data(self, data: bytes) -> None:
        """Buffer ``data``; ``b""`` marks EOF (repeating it is harmless)."""
        if not data:
            self._eof = True
            return
        if self._eof:
            raise LocalProtocolError("data received after EOF")
        if self._pos:
            # Compact here rather than per line so a chunk holding many lines costs one move.
            del self._buf[: self._pos]
            self._scan -= self._pos
            self._pos = 0
        self._buf += data

    def next_line(self) -> bytes | None:
        """Return the next complete line without its terminator, or None if none is buffered."""
        buf = self._buf
        if self._skip_lf and self._pos < len(buf):
            self._skip_lf = False
            if buf[self._pos] == _LF:
                self._pos += 1
        start = max(self._pos, self._scan)
        if self._split_cr:
            match = _CR_OR_LF.search(buf, start)
            end = -1 if match is None else match.start()
        else:
            end = buf.find(b"\n", start)
        if end < 0:
            self._scan = len(buf)
            self._check_pending()
            return None
        line = bytes(buf[self._pos : end])
        self._pos = self._scan = end + 1
        if self._split_cr:
            if buf[end] == _CR:
                self._skip_lf = True
        elif line.endswith(b"\r"):
            line = line[:-1]
        if len(line) > self._max:
            raise RemoteProtocolError(f"line longer than {self._max} bytes")
        return line

    def close(self) -> bytes | None:
        """Mark EOF and return the unterminated last line, if any.

        Call it once ``next_line`` has returned None; unread complete lines are a misuse.
        """
        self._eof = True
        if self.next_line() is not None:
            raise LocalProtocolError("close() called with complete lines still unread")
        rest = bytes(self._buf[self._pos :])
        self._buf.clear()
        self._pos = self._scan = 0
        if not self._split_cr and rest.endswith(b"\r"):
            rest = rest[:-1]
        return rest or None

    def _check_pending(self) -> None:
        pending = len(self._buf) - self._pos
        # In LF mode the pending bytes may end with the CR of a CRLF still to come.
        limit = self._max if self._split_cr else self._max + 1
        if pending > limit:
            raise RemoteProtocolError(f"line longer than {self._max} bytes")
