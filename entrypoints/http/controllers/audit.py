"""The audit log over HTTP: pages, single rows and streamed exports, as the caller may see them.

Audit admins (``auditAdminGroups``, or the admin tier) see every actor's rows;
everybody else only their own. ``X-Audit-Scope`` (or, for a download link, which
cannot set a header, the ``scope`` query parameter) asks for ``self`` or ``all``, and
the response's header says which one applied. With audit storage off, every route
answers a JSON 404 ``E_AUDIT_DISABLED``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from periscope_core.domain.audit import AuditRecord
from periscope_core.domain.audit_query import AuditPage, AuditQuery
from periscope_core.domain.authz import is_audit_admin
from periscope_core.domain.errors import PeriscopeError
from periscope_core.services.audit_query import AuditQueryService, AuditViewer, media_type
from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.controllers.editing import NO_STORE, AnyRequest
from periscope_entrypoints.http.deps import Caller
from periscope_entrypoints.http.middleware import request_id
from periscope_entrypoints.http.params import CallerDep, ServicesDep

__all__ = ["AuditController", "AuditDisabled"]

_SCOPE_HEADER = "x-audit-scope"
Format = Annotated[str, QueryParameter(name="format", description="jsonl (one JSON object a line) or csv.")]


class AuditDisabled(PeriscopeError):
    code = "E_AUDIT_DISABLED"
    http_status = 404

    def __init__(self) -> None:
        super().__init__("the audit log is not stored on this server (PERISCOPE_AUDIT_ENABLED is not true)")


def _service(services: Services, caller: Caller) -> tuple[AuditQueryService, AuditViewer]:
    if services.audit_storage is None:
        raise AuditDisabled()
    authz = services.identity.config.authorization
    svc = AuditQueryService(services.audit_storage.store, pipeline=services.audit, admin_groups=authz.auditAdminGroups)
    return svc, svc.viewer(caller.principal, admin=is_audit_admin(caller.principal, authz))


def _requested_scope(request: AnyRequest) -> str:
    return request.headers.get(_SCOPE_HEADER) or request.query_params.get("scope") or ""


def _query(request: AnyRequest) -> AuditQuery:
    return AuditQuery.from_params({key: values[0] for key, values in request.query_params.dict().items() if values})


class AuditController(Controller):
    path = "/api/audit"
    tags = ["audit"]

    @get("/", operation_id="queryAudit")
    async def query(self, request: AnyRequest, services: ServicesDep, caller: CallerDep) -> Response[AuditPage]:
        """One page of audit rows, newest first.

        Args:
            request: The request: filters (actor, verb, outcome, cluster, namespace, name,
                resource, request_id, from, to, text), ``cursor`` or ``limit``/``offset``,
                and the ``X-Audit-Scope`` header or ``scope`` parameter (self or all).
            services: The application services.
            caller: Who is asking.

        Returns:
            The page, with ``X-Audit-Scope`` naming whose rows it holds.
        """
        svc, viewer = _service(services, caller)
        page = await svc.query(_query(request), viewer=viewer, scope=_requested_scope(request))
        return Response(page, headers={**NO_STORE, "X-Audit-Scope": page.scope})

    @get("/export", operation_id="exportAudit")
    async def export(
        self, request: AnyRequest, services: ServicesDep, caller: CallerDep, fmt: Format = "jsonl"
    ) -> Stream:
        """Every matching row, oldest first, as a download; the export is itself audited.

        Args:
            request: The request, with the same filters and scope as the query.
            services: The application services.
            caller: Who is asking.
            fmt: ``jsonl`` or ``csv``.

        Returns:
            The rows, streamed.
        """
        svc, viewer = _service(services, caller)
        scope = _requested_scope(request)
        chunks = await svc.export(_query(request), viewer=viewer, fmt=fmt, scope=scope,
                                  request_id=request_id(request.scope), route="exportAudit")
        filename = f"periscope-audit-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{fmt}"
        return Stream(chunks, media_type=media_type(fmt), headers={
            **NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Audit-Scope": svc.scope(viewer, scope),
        })  # fmt: skip

    @get("/{record_id:int}", operation_id="getAuditRecord")
    async def record(self, services: ServicesDep, caller: CallerDep, record_id: FromPath[int]) -> Response[AuditRecord]:
        """One audit row, if the caller may see it (someone else's row is reported missing).

        Args:
            services: The application services.
            caller: Who is asking.
            record_id: The row's id.

        Returns:
            The row; 404 when there is none the caller may see.
        """
        svc, viewer = _service(services, caller)
        return Response(await svc.get(record_id, viewer=viewer), headers=NO_STORE)
