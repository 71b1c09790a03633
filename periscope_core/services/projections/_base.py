"""The list envelope, object metadata, and the common part of every summary row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import msgspec


class ListPage(msgspec.Struct, rename="camel"):
    """The one list envelope for every kind; ``continue`` fetches the next page."""

    items: list[Any]
    continue_: str = msgspec.field(default="", name="continue")
    resource_version: str = ""


class Meta(msgspec.Struct, rename="camel"):
    name: str = ""
    namespace: str = ""
    uid: str = ""
    resource_version: str = ""
    creation_timestamp: str | None = None
    deletion_timestamp: str | None = None
    labels: dict[str, str] | None = None


class WireObject(msgspec.Struct):
    """Base of the wire shapes: only the fields a summary reads are declared."""

    metadata: Meta = msgspec.field(default_factory=Meta)


class _ListMeta(msgspec.Struct, rename="camel"):
    resource_version: str = ""
    continue_: str = msgspec.field(default="", name="continue")


W = TypeVar("W", bound=WireObject)
_encoder = msgspec.json.Encoder()


class _WireList(msgspec.Struct, Generic[W]):
    items: list[W] | None = None
    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)


class Summary(msgspec.Struct, rename="camel"):
    """Fields every row has."""

    name: str = ""
    namespace: str = ""
    uid: str = ""
    resource_version: str = ""
    created_at: str = ""
    labels: dict[str, str] = {}


def common(meta: Meta) -> dict[str, Any]:
    """The Summary fields of an object, as keyword arguments for a row."""
    return {
        "name": meta.name,
        "namespace": meta.namespace,
        "uid": meta.uid,
        "resource_version": meta.resource_version,
        "created_at": meta.creation_timestamp or "",
        "labels": meta.labels or {},
    }


class Projection(Generic[W]):
    """Decodes one kind's list body into summary rows."""

    def __init__(self, wire: type[W], row: Callable[[W], Summary]) -> None:
        self._decoder = msgspec.json.Decoder(_WireList[wire])  # type: ignore[valid-type]
        self._one = msgspec.json.Decoder(wire)
        self._row = row

    def page(self, body: bytes) -> ListPage:
        decoded = self._decoder.decode(body)
        return ListPage(
            items=[self._row(item) for item in decoded.items or ()],
            continue_=decoded.metadata.continue_,
            resource_version=decoded.metadata.resource_version,
        )

    def row(self, obj: dict[str, Any]) -> Summary:
        """The row of one decoded object (a watch event's)."""
        # A JSON round trip rather than msgspec.convert: the wire shapes read some
        # fields as msgspec.Raw, which only a decoder can fill.
        return self._row(self._one.decode(_encoder.encode(obj)))


def _generic(obj: WireObject) -> Summary:
    return Summary(**common(obj.metadata))


GENERIC: Projection[WireObject] = Projection(WireObject, _generic)
"""Rows for kinds without a projection of their own: the common fields only."""
