"""Events to rows and back. Empty text is stored as NULL, as the original product did."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from periscope_core.domain.audit import Actor, AuditEvent, AuditRecord, ImpersonatedAs, ResourceRef, from_unix_nanos
from periscope_core.domain.audit_chain import CHAIN_FIELDS, chain_fields, chain_hash

__all__ = ["INSERT", "SELECT_CHAIN", "SELECT_RECORD", "chain_values", "insert_rows", "record"]

SELECT_CHAIN = ", ".join(CHAIN_FIELDS)
SELECT_RECORD = f"id, {SELECT_CHAIN}"
INSERT = (
    f"INSERT INTO audit_events ({SELECT_CHAIN}, prev_hash, hash) "
    f"VALUES ({', '.join('?' * (len(CHAIN_FIELDS) + 2))})"
)
_groups = msgspec.json.Decoder(list[str])
_extra = msgspec.json.Decoder(dict[str, Any])


def chain_values(stored: Sequence[Any]) -> tuple[int | str, ...]:
    """Stored column values (``CHAIN_FIELDS`` order) as the chain hashes them: NULL as ``""``."""
    return tuple("" if v is None else v for v in stored)


def insert_rows(events: Sequence[AuditEvent], *, seq: int, prev_hash: str) -> tuple[list[tuple[Any, ...]], int, str]:
    """INSERT parameters for ``events`` chained after (seq, prev_hash); returns the new head too."""
    rows: list[tuple[Any, ...]] = []
    for event in events:
        seq += 1
        fields = chain_fields(seq, event)
        digest = chain_hash(prev_hash, fields)
        rows.append((*(None if v == "" else v for v in fields), prev_hash, digest))
        prev_hash = digest
    return rows, seq, prev_hash


def _decode_groups(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    try:
        return tuple(_groups.decode(text))
    except msgspec.DecodeError:  # rows from older writers, or edited by hand
        return (text,)


def _decode_extra(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        return _extra.decode(text)
    except msgspec.DecodeError:
        return {"raw": text}


def record(row: Sequence[Any]) -> AuditRecord:
    """An AuditRecord from a ``SELECT_RECORD`` row."""
    (row_id, _seq, ts, request_id, route, sub, email, groups, imp_user, imp_groups, verb, outcome, cluster,
     group, version, resource, namespace, name, reason, extra) = row  # fmt: skip
    return AuditRecord(
        id=row_id,
        timestamp=from_unix_nanos(ts),
        request_id=request_id or "",
        route=route or "",
        actor=Actor(sub=sub or "", email=email or "", groups=_decode_groups(groups)),
        impersonated=ImpersonatedAs(user=imp_user or "", groups=_decode_groups(imp_groups)),
        verb=verb,
        outcome=outcome,
        cluster=cluster or "",
        resource=ResourceRef(group or "", version or "", resource or "", namespace or "", name or ""),
        reason=reason or "",
        extra=_decode_extra(extra),
    )
