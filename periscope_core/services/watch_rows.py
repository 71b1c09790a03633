"""The rows a watch stream carries: exactly what the list endpoint returns for the same kind.

The UI falls back to polling the list endpoint when a stream cannot be opened, so
both paths must produce the same row for the same object. Built-in kinds reuse the
browse projections; custom resources reuse the printer-column rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from periscope_core.services.crds import PrinterColumn, custom_row
from periscope_core.services.projections import ListPage, event_time, project_list, project_object

__all__ = ["RowProjection"]

_list_decoder = msgspec.json.Decoder(dict[str, Any])


def _by_key(rows: list[Any]) -> list[Any]:
    # The apiserver lists in key order (namespace, then name); the stream's snapshot does too.
    return sorted(rows, key=lambda row: (row.namespace, row.name))


def _newest_first(rows: list[Any]) -> list[Any]:
    return sorted(rows, key=event_time, reverse=True)


class RowProjection:
    """How one kind's list bodies and single objects become rows."""

    __slots__ = ("_order", "_page", "_row")

    def __init__(
        self,
        *,
        page: Callable[[bytes], ListPage],
        row: Callable[[dict[str, Any]], Any],
        order: Callable[[list[Any]], list[Any]] = _by_key,
    ) -> None:
        self._page, self._row, self._order = page, row, order

    @classmethod
    def builtin(cls, plural: str) -> RowProjection:
        """The browse projection for a built-in kind's public plural (``pods``, ``pvcs``...)."""

        def page(body: bytes) -> ListPage:
            return project_list(plural, body)

        def row(obj: dict[str, Any]) -> Any:
            return project_object(plural, obj)

        return cls(page=page, row=row, order=_newest_first if plural == "events" else _by_key)

    @classmethod
    def custom(cls, columns: list[PrinterColumn]) -> RowProjection:
        """Rows of a custom resource with its printer-column cells."""

        def row(obj: dict[str, Any]) -> Any:
            return custom_row(obj, columns)

        def page(body: bytes) -> ListPage:
            decoded = _list_decoder.decode(body)
            meta = decoded.get("metadata") or {}
            return ListPage(
                items=[row(item) for item in decoded.get("items") or ()],
                continue_=meta.get("continue", ""),
                resource_version=meta.get("resourceVersion", ""),
            )

        return cls(page=page, row=row)

    def page(self, body: bytes) -> ListPage:
        return self._page(body)

    def row(self, obj: dict[str, Any]) -> Any:
        return self._row(obj)

    def order(self, rows: list[Any]) -> list[Any]:
        return self._order(rows)
