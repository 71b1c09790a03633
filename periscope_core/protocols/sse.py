"""Server-Sent Events: a pure encoder and an incremental decoder following the WHATWG rules.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

from __future__ import annotations

import re

import msgspec

from periscope_core.protocols.errors import LocalProtocolError, RemoteProtocolError
from periscope_core.protocols.lines import LineBuffer

__all__ = ["SSEDecoder", "ServerSentEvent", "encode_comment", "encode_event"]

# A data or comment value may span lines; any of the three SSE terminators starts a new one.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


class ServerSentEvent(msgspec.Struct, frozen=True):
    """One dispatched event; ``id`` and ``retry`` are None when its block did not set them."""

    event: str
    data: str
    id: str | None = None
    retry: int | None = None


def encode_event(
    *, data: str, event: str | None = None, id: str | None = None, retry: int | None = None
) -> bytes:
    """Encode one event; line breaks inside ``data`` become separate ``data:`` lines (as LF)."""
    lines: list[str] = []
    if event is not None:
        _check_single_line("event", event)
        lines.append(f"event: {event}")
    if id is not None:
        _check_single_line("id", id)
        if "\0" in id:
            raise LocalProtocolError("SSE id must not contain NUL")  # a decoder would ignore it
        lines.append(f"id: {id}")
    if retry is not None:
        if retry < 0:
            raise LocalProtocolError("SSE retry must be a non-negative number of milliseconds")
        lines.append(f"retry: {retry}")
    lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
    return _utf8("\n".join(lines) + "\n\n")


def encode_comment(text: str = "") -> bytes:
    """Encode a comment block, e.g. ``b": ping\\n\\n"`` as a keep-alive."""
    if not text:
        return b":\n\n"
    return _utf8("".join(f": {line}\n" for line in _LINE_BREAK.split(text)) + "\n")


def _utf8(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError as exc:  # a lone surrogate: the text never was valid Unicode
        raise LocalProtocolError(f"SSE text is not encodable as UTF-8: {exc}") from exc


def _check_single_line(field: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise LocalProtocolError(f"SSE {field} must not contain CR or LF")


class _Block(msgspec.Struct):
    """Fields gathered since the last blank line."""

    event_type: str = ""
    data: list[str] = msgspec.field(default_factory=list)
    size: int = 0
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Turn an event stream into ServerSentEvents, whatever the chunk boundaries."""

    def __init__(self, max_event_bytes: int = 1 << 20) -> None:
        self._lines = LineBuffer(max_event_bytes, split_cr=True)
        self._max = max_event_bytes
        self._first_line = True
        self._last_event_id = ""
        self._retry: int | None = None
        self._block = _Block()

    @property
    def last_event_id(self) -> str:
        """The id to resume from (``Last-Event-ID``); persists across events, "" if none yet."""
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The latest reconnection time in milliseconds sent by the server, if any."""
        return self._retry

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the stream; ``b""`` marks EOF."""
        self._lines.receive_data(data)

    def next_event(self) -> ServerSentEvent | None:
        """Return the next dispatched event, or None when more data is needed."""
        while (raw := self._lines.next_line()) is not None:
            event = self._process(raw)
            if event is not None:
                return event
        if self._lines.at_eof:
            # The spec discards an event left unfinished at EOF.
            self._lines.close()
            self._block = _Block()
        return None

    def events(self) -> list[ServerSentEvent]:
        """Return every event dispatchable from the data received so far."""
        out: list[ServerSentEvent] = []
        while (event := self.next_event()) is not None:
            out.append(event)
        return out

    def _process(self, raw: bytes) -> ServerSentEvent | None:
        line = raw.decode("utf-8", errors="replace")
        if self._first_line:
            self._first_line = False
            line = line.removeprefix(_BOM)
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        block = self._block
        if field == "data":
            block.size += len(raw)
            if block.size > self._max:
                raise RemoteProtocolError(f"SSE event larger than {self._max} bytes")
            block.data.append(value)
        elif field == "event":
            block.event_type = value
        elif field == "id":
            if "\0" not in value:
                block.id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            block.retry = self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        block, self._block = self._block, _Block()
        if block.id is not None:
            # Committed only here, so an id in a block cut short by EOF is not resumed from.
            self._last_event_id = block.id
        if not block.data:
            return None
        return ServerSentEvent(
            event=block.event_type or "message", data="\n".join(block.data), id=block.id, retry=block.retry
        )
