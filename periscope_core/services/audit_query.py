"""Reading the audit log back: queries, single rows and exports, with visibility rules.

Audit admins (members of ``auditAdminGroups``, or the admin tier) see every
actor's rows; everybody else sees only their own, whatever filter they ask for.
A row someone may not see is reported as missing, not as forbidden, so ids do
not leak who did what.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Collection, Iterable
from contextlib import aclosing
from typing import Literal, get_args

import msgspec

from periscope_core.domain.audit import Actor, AuditEvent, AuditRecord, AuditRecordNotFound
from periscope_core.domain.audit_chain import VerifyResult
from periscope_core.domain.audit_query import AuditPage, AuditQuery, Scope
from periscope_core.domain.errors import InvalidRequest
from periscope_core.domain.identity import Principal
from periscope_core.ports.audit import AuditStore
from periscope_core.services.audit import AuditPipeline

__all__ = [
    "EXPORT_FORMATS",
    "AuditQueryService",
    "AuditViewer",
    "ExportFormat",
    "csv_rows",
    "jsonl_rows",
    "media_type",
]

ExportFormat = Literal["jsonl", "csv"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)
_MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
_CHUNK_ROWS = 200

CSV_COLUMNS = (
    "id", "timestamp", "request_id", "route", "actor_sub", "actor_email", "actor_groups", "impersonated_user",
    "impersonated_groups", "verb", "outcome", "cluster", "group", "version", "resource", "namespace", "name",
    "reason", "extra",
)  # fmt: skip


class AuditViewer(msgspec.Struct, frozen=True):
    """Who is reading the audit log, and whether they may see other actors' rows."""

    actor: Actor
    sees_all: bool = False


def media_type(fmt: str) -> str:
    """The Content-Type of an export format; raises InvalidRequest for an unknown one."""
    if fmt not in _MEDIA_TYPES:
        raise InvalidRequest(f"invalid format: {fmt!r} (one of {', '.join(EXPORT_FORMATS)})")
    return _MEDIA_TYPES[fmt]


def jsonl_rows(records: Iterable[AuditRecord]) -> bytes:
    encoder = msgspec.json.Encoder()
    return b"".join(encoder.encode(r) + b"\n" for r in records)


def _cell(value: str) -> str:
    # Spreadsheets run cells starting with these as formulas (CSV injection); a
    # leading quote keeps the text and defuses it.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_rows(records: Iterable[AuditRecord], *, header: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for r in records:
        res = r.resource
        writer.writerow([str(r.id), r.timestamp.isoformat(), *(_cell(v) for v in (
            r.request_id, r.route, r.actor.sub, r.actor.email, ",".join(r.actor.groups), r.impersonated.user,
            ",".join(r.impersonated.groups), r.verb, r.outcome, r.cluster, res.group, res.version, res.resource,
            res.namespace, res.name, r.reason, msgspec.json.encode(r.extra).decode() if r.extra else "",
        ))])  # fmt: skip
    return out.getvalue().encode()


class AuditQueryService:
    """The audit log as a user may read it."""

    def __init__(
        self, store: AuditStore, *, pipeline: AuditPipeline | None = None, admin_groups: Collection[str] = ()
    ) -> None:
        self._store = store
        self._pipeline = pipeline
        self._admin_groups = frozenset(admin_groups)

    def viewer(self, principal: Principal, *, admin: bool = False) -> AuditViewer:
        """``admin``: the caller's tier already grants everything (the admin tier)."""
        sees_all = admin or not self._admin_groups.isdisjoint(principal.groups)
        return AuditViewer(Actor.of(principal), sees_all=sees_all)

    @staticmethod
    def scope(viewer: AuditViewer, requested: str = "") -> Scope:
        """The scope a query runs with: ``all`` only for admins who did not ask for ``self``."""
        if requested not in ("", "self", "all"):
            raise InvalidRequest(f"invalid scope: {requested!r} (self or all)")
        return "all" if viewer.sees_all and requested != "self" else "self"

    def _visible(self, query: AuditQuery, scope: Scope, viewer: AuditViewer) -> AuditQuery:
        query = query.normalized()
        if scope == "self":
            query = msgspec.structs.replace(query, actor=viewer.actor.sub)
        return query

    async def query(self, query: AuditQuery, *, viewer: AuditViewer, scope: str = "") -> AuditPage:
        """One page, newest first; ``page.scope`` is what the HTTP ``X-Audit-Scope`` header reports."""
        effective = self.scope(viewer, scope)
        page = await self._store.query(self._visible(query, effective, viewer))
        return msgspec.structs.replace(page, scope=effective)

    async def get(self, record_id: int, *, viewer: AuditViewer) -> AuditRecord:
        record = await self._store.get(record_id)
        if record is None or not (viewer.sees_all or record.actor.sub == viewer.actor.sub):
            raise AuditRecordNotFound(record_id)
        return record

    async def export(
        self,
        query: AuditQuery,
        *,
        viewer: AuditViewer,
        fmt: str,
        scope: str = "",
        request_id: str = "",
        route: str = "",
    ) -> AsyncIterator[bytes]:
        """The matching rows, oldest first, encoded in chunks; the export itself is audited as it starts.

        Raises InvalidRequest (before anything is streamed) for an unknown format or scope.
        """
        media_type(fmt)
        effective = self.scope(viewer, scope)
        visible = self._visible(query, effective, viewer)
        if self._pipeline is not None:
            self._pipeline.emit(AuditEvent(
                timestamp=self._pipeline.now(), request_id=request_id, route=route, actor=viewer.actor,
                verb="audit_export", outcome="success",
                extra={"format": fmt, "scope": effective, "filters": visible.filters()},
            ))  # fmt: skip
        return self._encoded(visible, fmt)

    async def _encoded(self, query: AuditQuery, fmt: str) -> AsyncIterator[bytes]:
        if fmt == "csv":
            yield csv_rows((), header=True)
        chunk: list[AuditRecord] = []
        async with aclosing(self._store.export(query)) as rows:
            async for record in rows:
                chunk.append(record)
                if len(chunk) >= _CHUNK_ROWS:
                    yield self._encode(chunk, fmt)
                    chunk = []
        if chunk:
            yield self._encode(chunk, fmt)

    @staticmethod
    def _encode(records: list[AuditRecord], fmt: str) -> bytes:
        return csv_rows(records) if fmt == "csv" else jsonl_rows(records)

    async def verify(self) -> VerifyResult:
        return await self._store.verify()
