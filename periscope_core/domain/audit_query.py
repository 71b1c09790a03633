"""Reading the audit log back: filters, keyset cursors and pages, as every store and edge shares them."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from periscope_core.domain.audit import OUTCOMES, VERBS, AuditRecord
from periscope_core.domain.errors import InvalidRequest

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "AuditPage",
    "AuditQuery",
    "Scope",
    "decode_cursor",
    "encode_cursor",
]

Scope = Literal["self", "all"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class AuditQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Filters over stored events; empty fields do not filter.

    Results are newest first. ``cursor`` (from a previous page) takes precedence
    over ``offset``; ``after_id`` selects rows stored after a given one (follow mode).
    """

    actor: str = ""
    verb: str = ""
    outcome: str = ""
    cluster: str = ""
    namespace: str = ""
    name: str = ""
    resource: str = ""
    request_id: str = ""
    since: datetime | None = None
    """Inclusive lower bound on the timestamp (the HTTP ``from``)."""
    until: datetime | None = None
    """Inclusive upper bound on the timestamp (the HTTP ``to``)."""
    text: str = ""
    """Case-insensitive substring of the reason or the extra details."""
    cursor: str = ""
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    after_id: int = 0

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AuditQuery:
        """Read the HTTP query parameters; a malformed one raises InvalidRequest naming it."""
        fields: dict[str, Any] = {
            key: params.get(key, "").strip()
            for key in ("actor", "cluster", "namespace", "name", "resource", "request_id", "text")
        }
        for key, allowed in (("verb", VERBS), ("outcome", OUTCOMES)):
            value = params.get(key, "").strip()
            if value and value not in allowed:
                raise InvalidRequest(f"invalid {key}: {value!r} (one of {', '.join(allowed)})")
            fields[key] = value
        fields["since"] = _param_time(params, "from")
        fields["until"] = _param_time(params, "to")
        fields["limit"] = _param_int(params, "limit", DEFAULT_LIMIT)
        fields["offset"] = _param_int(params, "offset", 0)
        cursor = params.get("cursor", "").strip()
        if cursor:
            decode_cursor(cursor)
        fields["cursor"] = cursor
        return cls(**fields).normalized()

    def normalized(self) -> AuditQuery:
        """Limit clamped to 1..500 (default 50), offset at least 0."""
        limit = DEFAULT_LIMIT if self.limit <= 0 else min(self.limit, MAX_LIMIT)
        return msgspec.structs.replace(self, limit=limit, offset=max(self.offset, 0))

    def filters(self) -> dict[str, Any]:
        """The filters in use, for logs and the export's own audit row."""
        skip = {"cursor", "limit", "offset", "after_id"}
        return {
            k: v.isoformat() if isinstance(v, datetime) else v
            for k, v in msgspec.structs.asdict(self).items()
            if k not in skip and v not in ("", None)
        }


def _param_time(params: Mapping[str, str], key: str) -> datetime | None:
    raw = params.get(key, "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidRequest(f"invalid {key}: {raw!r} is not an RFC 3339 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _param_int(params: Mapping[str, str], key: str, default: int) -> int:
    raw = params.get(key, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidRequest(f"invalid {key}: {raw!r} is not an integer") from None


def encode_cursor(timestamp_nanos: int, record_id: int) -> str:
    """An opaque keyset position: the (timestamp, id) of the last row of a page."""
    return base64.urlsafe_b64encode(f"{timestamp_nanos}:{record_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        nanos, _, record_id = raw.partition(":")
        return int(nanos), int(record_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequest("invalid cursor: it must come from a previous page") from None


class AuditPage(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    items: list[AuditRecord]
    total: int
    """Matching rows; a lower bound when ``total_exact`` is false (counting stops at a cap)."""
    total_exact: bool = True
    limit: int
    offset: int
    next_cursor: str = ""
    """Empty on the last page."""
    scope: Scope = "all"
