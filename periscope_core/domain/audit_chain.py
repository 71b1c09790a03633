"""The audit hash chain: each stored row carries the hash of the row before it.

Rules, so that any store can be verified the same way:

- rows are numbered ``seq`` = 1, 2, 3, ... in the order they were stored;
- a row's ``hash`` is SHA-256 over the previous row's hash and the row's stored
  fields (``CHAIN_FIELDS``, empty text as ``""``), JSON-encoded as one array, so
  editing any field of any row changes its hash;
- the first row links to ``GENESIS``; once old rows are pruned, the first
  remaining row links to the *anchor*, the (seq, hash) of the last pruned row,
  which the store keeps apart from the rows.

A deleted row shows up as a gap in ``seq`` (or, at the head, as a first row that
does not follow the anchor); an edited row as a hash that no longer matches. An
attacker who can rewrite every later row and the anchor can forge the chain:
the chain proves integrity against partial edits, and the stdout stream shipped
elsewhere remains the independent copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import msgspec

from periscope_core.domain.audit import AuditEvent, to_unix_nanos

__all__ = ["CHAIN_FIELDS", "GENESIS", "ChainVerifier", "VerifyResult", "chain_fields", "chain_hash"]

GENESIS = "0" * 64

CHAIN_FIELDS = (
    "seq", "ts_unix_nano", "request_id", "route", "actor_sub", "actor_email", "actor_groups",
    "impersonated_user", "impersonated_groups", "verb", "outcome", "cluster", "res_group", "res_version",
    "res_type", "res_namespace", "res_name", "reason", "extra",
)  # fmt: skip
"""The stored fields a row's hash covers, in hashing order (also the SQLite column names)."""

Field = int | str


def _json(value: object) -> str:
    # Sorted keys make the text, and so the hash, independent of insertion order.
    return msgspec.json.encode(value, order="sorted").decode()


def chain_fields(seq: int, event: AuditEvent) -> tuple[Field, ...]:
    """The event as stored: scalars, groups and extra as JSON text; in ``CHAIN_FIELDS`` order."""
    res = event.resource
    return (
        seq, to_unix_nanos(event.timestamp), event.request_id, event.route,
        event.actor.sub, event.actor.email, _json(event.actor.groups),
        event.impersonated.user, _json(event.impersonated.groups) if event.impersonated.groups else "",
        event.verb, event.outcome, event.cluster,
        res.group, res.version, res.resource, res.namespace, res.name,
        event.reason, _json(event.extra) if event.extra else "",
    )  # fmt: skip


def chain_hash(prev_hash: str, fields: Sequence[Field]) -> str:
    return hashlib.sha256(msgspec.json.encode([prev_hash, *fields])).hexdigest()


class ChainCheckpoint(msgspec.Struct, frozen=True):
    """The last row a verification vouched for: a later one can start there instead of at the anchor."""

    row_id: int
    seq: int
    hash: str


class VerifyResult(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    rows_checked: int
    first_broken_id: int | None = None
    reason: str = ""
    checkpoint: ChainCheckpoint | None = None
    """Where the intact chain ends (None when no row was checked and there was no starting point)."""


class ChainVerifier:
    """Checks rows fed in storage order against the chain rules; stops at the first broken link."""

    def __init__(self, *, anchor_seq: int = 0, anchor_hash: str = GENESIS, anchor_row_id: int = 0) -> None:
        self._seq = anchor_seq
        self._hash = anchor_hash
        self._row_id = anchor_row_id
        self._checked = 0
        self._broken: tuple[int, str] | None = None

    @property
    def broken(self) -> bool:
        return self._broken is not None

    def feed(self, *, row_id: int, prev_hash: str, row_hash: str, fields: Sequence[Field]) -> bool:
        """Check one row (``fields`` in ``CHAIN_FIELDS`` order); False once the chain is broken."""
        if self._broken is not None:
            return False
        seq = fields[0]
        problem = ""
        if not isinstance(seq, int):
            problem = "the row has no sequence number"
        elif seq != self._seq + 1:
            if seq > self._seq + 1:
                problem = f"seq {seq} follows seq {self._seq}: {seq - self._seq - 1} row(s) deleted before this row"
            else:
                problem = f"seq {seq} follows seq {self._seq}: rows out of order or duplicated"
        elif prev_hash != self._hash:
            problem = "prev_hash does not match the previous row's hash: the previous row was changed or removed"
        elif chain_hash(prev_hash, fields) != row_hash:
            problem = "hash does not match the row's content: the row was changed"
        if problem:
            self._broken = (row_id, problem)
            return False
        self._seq, self._hash, self._row_id = int(seq), row_hash, row_id
        self._checked += 1
        return True

    def result(self) -> VerifyResult:
        checkpoint = ChainCheckpoint(self._row_id, self._seq, self._hash) if self._row_id else None
        if self._broken is not None:
            row_id, reason = self._broken
            return VerifyResult(ok=False, rows_checked=self._checked, first_broken_id=row_id, reason=reason,
                                checkpoint=checkpoint)  # fmt: skip
        return VerifyResult(ok=True, rows_checked=self._checked, checkpoint=checkpoint)
