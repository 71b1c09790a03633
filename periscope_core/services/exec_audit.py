"""What an exec session leaves behind: its audit rows and its structured log lines.

``exec_open`` once the process started; one ``exec_close`` per session that ran, with
its outcome (``denied`` when the apiserver refused, ``failure`` when it could not start
or broke, else ``success``); ``exec_forced_close`` for whoever force-closed one. Stdin
is never written anywhere, only counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import msgspec

from periscope_core.domain.audit import Actor, AuditEvent, ImpersonatedAs, Outcome, ResourceRef, Verb, outcome_for
from periscope_core.domain.errors import PeriscopeError
from periscope_core.domain.exec import ClosedBy
from periscope_core.domain.identity import BRIDGE, Impersonation, Principal
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.services.exec_registry import LiveSession

__all__ = ["AuditEmitter", "SessionAudit", "SessionEnd"]

_log = logging.getLogger("periscope.exec")
_PODS = GroupVersionResource("", "v1", "pods")


class AuditEmitter(Protocol):
    """The audit pipeline's intake (``AuditPipeline.emit``): never blocks, never raises."""

    def emit(self, event: AuditEvent) -> None: ...


class SessionEnd(msgspec.Struct):
    """How a session went, filled in while it runs."""

    closed_by: ClosedBy = "failed"
    error: PeriscopeError | None = None
    exit_code: int | None = None
    bytes_stdin: int = 0
    bytes_stdout: int = 0
    transport: str = ""
    command: tuple[str, ...] = ()

    def fail(self, error: PeriscopeError) -> None:
        self.error = error
        self.closed_by = "denied" if outcome_for(error) == "denied" else "failed"


class SessionAudit:
    """Writes a session's rows to the audit pipeline (when there is one) and its log lines."""

    def __init__(self, audit: AuditEmitter | None, *, wall_clock: Callable[[], datetime]) -> None:
        self._audit = audit
        self._wall = wall_clock

    def opened(self, session: LiveSession, end: SessionEnd, *, as_: Impersonation, request_id: str) -> None:
        target = session.target
        self._emit("exec_open", "success", session, principal=session.principal, as_=as_, request_id=request_id,
                   extra=self._details(session, end))
        _log.info("exec.session.start session_id=%s actor=%s cluster=%s namespace=%s pod=%s container=%s "
                  "transport=%s", session.session_id, session.principal.subject, target.cluster, target.namespace,
                  target.pod, session.container, end.transport)

    def ended(
        self, session: LiveSession, end: SessionEnd, *, as_: Impersonation, request_id: str, duration: float
    ) -> None:
        error = end.error
        extra = {
            **self._details(session, end),
            "duration_ms": round(duration * 1000), "exit_code": end.exit_code, "bytes_stdin": end.bytes_stdin,
            "bytes_stdout": end.bytes_stdout, "close_reason": end.closed_by,
        }  # fmt: skip
        if error is not None:
            extra["error"] = error.code
        if session.recording:
            extra["recording_id"] = session.session_id
        outcome = (outcome_for(error) or "failure") if end.closed_by in ("denied", "failed") else "success"
        self._emit("exec_close", outcome, session, principal=session.principal, as_=as_, request_id=request_id,
                   extra=extra, reason=error.message if error else end.closed_by)
        _log.info("exec.session.end session_id=%s actor=%s cluster=%s reason=%s exit_code=%s duration_ms=%d "
                  "bytes_stdin=%d bytes_stdout=%d", session.session_id, session.principal.subject,
                  session.target.cluster, end.closed_by, end.exit_code, extra["duration_ms"], end.bytes_stdin,
                  end.bytes_stdout)

    def forced(self, principal: Principal, session: LiveSession, *, request_id: str) -> None:
        extra = {"session_id": session.session_id, "owner": session.principal.subject}
        self._emit("exec_forced_close", "success", session, principal=principal, as_=BRIDGE, request_id=request_id,
                   extra=extra)

    @staticmethod
    def _details(session: LiveSession, end: SessionEnd) -> dict[str, Any]:
        return {
            "session_id": session.session_id, "container": session.container, "command": list(end.command),
            "tty": session.target.tty, "transport": end.transport,
        }  # fmt: skip

    def _emit(
        self, verb: Verb, outcome: Outcome, session: LiveSession, *, principal: Principal, as_: Impersonation,
        request_id: str, extra: dict[str, Any], reason: str = "",
    ) -> None:  # fmt: skip
        if self._audit is None:
            return
        target = session.target
        self._audit.emit(AuditEvent(
            timestamp=self._wall(), request_id=request_id, actor=Actor.of(principal),
            impersonated=ImpersonatedAs.of(as_), verb=verb, outcome=outcome, cluster=target.cluster,
            resource=ResourceRef.of(_PODS, namespace=target.namespace, name=target.pod), reason=reason, extra=extra,
        ))  # fmt: skip
