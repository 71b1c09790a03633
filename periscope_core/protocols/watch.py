"""Decoder for the Kubernetes watch stream: one JSON object per line, ``{"type", "object"}``.

Adapters hand over the raw response bytes, so every cluster source (client library,
agent tunnel, fixture file) yields the same events and the same resume point.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import msgspec

from periscope_core.protocols._status import parse_status
from periscope_core.protocols.errors import RemoteProtocolError
from periscope_core.protocols.lines import LineBuffer

__all__ = [
    "Bookmark",
    "Expired",
    "ObjectEvent",
    "StreamEnd",
    "UnknownEvent",
    "WatchDecoder",
    "WatchError",
    "WatchEvent",
]

ObjectEventType: TypeAlias = Literal["ADDED", "MODIFIED", "DELETED"]
_OBJECT_TYPES: dict[str, ObjectEventType] = {"ADDED": "ADDED", "MODIFIED": "MODIFIED", "DELETED": "DELETED"}
# 410 is the documented signal; older apiservers sent reason "Gone" with the same meaning.
_EXPIRED_REASONS: frozenset[str] = frozenset({"Expired", "Gone"})


class ObjectEvent(msgspec.Struct, frozen=True):
    """An object was added, modified or deleted; ``resource_version`` is the object's."""

    type: ObjectEventType
    object: dict[str, Any]
    resource_version: str


class Bookmark(msgspec.Struct, frozen=True):
    """The server confirms the watch is current up to ``resource_version``."""

    resource_version: str


class Expired(msgspec.Struct, frozen=True):
    """The resume point is too old (410 Gone); the caller must list again."""

    message: str


class WatchError(msgspec.Struct, frozen=True):
    """Any other ERROR event; ``status`` is the metav1.Status as sent."""

    code: int
    reason: str
    message: str
    status: dict[str, Any]


class UnknownEvent(msgspec.Struct, frozen=True):
    """An event type this decoder does not know; it was skipped."""

    type: str


class StreamEnd(msgspec.Struct, frozen=True):
    """The server closed the stream cleanly."""


WatchEvent: TypeAlias = ObjectEvent | Bookmark | Expired | WatchError | UnknownEvent | StreamEnd


class _Envelope(msgspec.Struct):
    type: str
    # Kept raw so a malformed envelope fails before the object is materialised.
    object: msgspec.Raw


class _Metadata(msgspec.Struct):
    resource_version: str = msgspec.field(default="", name="resourceVersion")


class _WithMetadata(msgspec.Struct):
    metadata: _Metadata = msgspec.field(default_factory=_Metadata)


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_object_decoder = msgspec.json.Decoder(dict[str, Any])


class WatchDecoder:
    """Turn watch-stream bytes into events and remember the resume point."""

    def __init__(self, *, resource_version: str = "", max_line_bytes: int = 16 << 20) -> None:
        self._lines = LineBuffer(max_line_bytes)
        self._resource_version = resource_version
        self._ended = False

    @property
    def resource_version(self) -> str:
        """The last resourceVersion seen on an object or bookmark; opaque, never compare it."""
        return self._resource_version

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the response body; ``b""`` marks EOF."""
        self._lines.receive_data(data)

    def next_event(self) -> WatchEvent | None:
        """Return the next event, or None when more data is needed (or after StreamEnd)."""
        while (line := self._lines.next_line()) is not None:
            if line.strip():
                return self._decode(line)
        if not self._lines.at_eof or self._ended:
            return None
        tail = self._lines.close()
        if tail is not None and tail.strip():
            raise RemoteProtocolError("watch stream ended in the middle of an event")
        self._ended = True
        return StreamEnd()

    def events(self) -> list[WatchEvent]:
        """Return every event decodable from the data received so far."""
        out: list[WatchEvent] = []
        while (event := self.next_event()) is not None:
            out.append(event)
        return out

    def _decode(self, line: bytes) -> WatchEvent:
        try:
            envelope = _envelope_decoder.decode(line)
            obj = _object_decoder.decode(envelope.object)
        except msgspec.DecodeError as exc:
            raise RemoteProtocolError(f"malformed watch event: {exc}") from exc
        kind = envelope.type
        object_type = _OBJECT_TYPES.get(kind)
        if object_type is not None:
            rv = _resource_version_of(obj)
            if rv:
                self._resource_version = rv
            return ObjectEvent(type=object_type, object=obj, resource_version=rv)
        if kind == "BOOKMARK":
            rv = _resource_version_of(obj)
            if not rv:
                raise RemoteProtocolError("BOOKMARK event without metadata.resourceVersion")
            self._resource_version = rv
            return Bookmark(resource_version=rv)
        if kind == "ERROR":
            return _status_event(obj)
        return UnknownEvent(type=kind)


def _resource_version_of(obj: dict[str, Any]) -> str:
    try:
        return msgspec.convert(obj, _WithMetadata).metadata.resource_version
    except msgspec.ValidationError as exc:
        raise RemoteProtocolError(f"malformed object metadata: {exc}") from exc


def _status_event(obj: dict[str, Any]) -> Expired | WatchError:
    status = parse_status(obj)
    if status.code == 410 or status.reason in _EXPIRED_REASONS:
        return Expired(message=status.message)
    return WatchError(code=status.code, reason=status.reason, message=status.message, status=obj)
