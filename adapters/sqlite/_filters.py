"""AuditQuery filters as a SQL WHERE clause with bound parameters (never string-built values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from periscope_core.domain.audit import to_unix_nanos
from periscope_core.domain.audit_query import AuditQuery, decode_cursor

__all__ = ["where"]

_EXACT = (
    ("actor", "actor_sub"),
    ("verb", "verb"),
    ("outcome", "outcome"),
    ("cluster", "cluster"),
    ("namespace", "res_namespace"),
    ("name", "res_name"),
    ("resource", "res_type"),
    ("request_id", "request_id"),
)


_INT64 = (-(2**63), 2**63 - 1)


def _nanos(moment: datetime) -> int:
    """Nanoseconds, clamped to SQLite's integers: a bound past 2262 filters like the end of time."""
    return min(max(to_unix_nanos(moment), _INT64[0]), _INT64[1])


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def where(query: AuditQuery, *, keyset: bool = True) -> tuple[str, list[Any]]:
    """The WHERE clause (``""`` when nothing filters) and its parameters.

    ``keyset``: apply the cursor (newest-first paging); exports page by id instead.
    """
    terms: list[str] = []
    params: list[Any] = []
    for field, column in _EXACT:
        value = getattr(query, field)
        if value:
            terms.append(f"{column} = ?")
            params.append(value)
    if query.since is not None:
        terms.append("ts_unix_nano >= ?")
        params.append(_nanos(query.since))
    if query.until is not None:
        terms.append("ts_unix_nano <= ?")
        params.append(_nanos(query.until))
    if query.text:
        terms.append("(reason LIKE ? ESCAPE '\\' OR extra LIKE ? ESCAPE '\\')")
        params.extend([_like(query.text)] * 2)
    if query.after_id:
        terms.append("id > ?")
        params.append(query.after_id)
    if keyset and query.cursor:
        nanos, last_id = decode_cursor(query.cursor)
        # The first term is a plain range an index can seek on; the second breaks ties by id.
        terms.append("ts_unix_nano <= ? AND (ts_unix_nano < ? OR id < ?)")
        params.extend([nanos, nanos, last_id])
    return (" WHERE " + " AND ".join(terms) if terms else ""), params
