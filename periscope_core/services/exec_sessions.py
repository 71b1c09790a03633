"""Exec sessions: admission, the session's life from upgrade to close, the admin view, recordings.

The edge reserves a slot (``reserve``) before it accepts the browser's WebSocket and
hands both to ``run``, which owns the rest: the container and shell, the upstream
upgrade, the relay, and what the browser is told at the end (``hello`` first, then
``error`` if any, then ``closed``, then a close code). What is audited is described in
``exec_audit``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

import anyio
import msgspec

from periscope_core.domain.clusters import ClusterEntry
from periscope_core.domain.errors import Forbidden, PeriscopeError, Status
from periscope_core.domain.exec import (
    ClosedBy,
    ExecDisabled,
    ExecPolicy,
    ExecTarget,
    SessionCapReached,
    SessionNotFound,
    SessionSummary,
)
from periscope_core.domain.exec_timers import SessionTimers
from periscope_core.domain.identity import Impersonation, Principal
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.ports.recording import RecordingMeta, RecordingStore
from periscope_core.ports.terminal import TerminalGone, TerminalPeer
from periscope_core.protocols import terminal
from periscope_core.services.exec_audit import AuditEmitter, SessionAudit, SessionEnd
from periscope_core.services.exec_recording import SessionRecorder
from periscope_core.services.exec_registry import LiveSession, SessionRegistry
from periscope_core.services.exec_relay import Relay, last_words
from periscope_core.services.exec_upstream import UpstreamLauncher, UpstreamProcess
from periscope_core.services.kube import KubeClient

__all__ = ["AuditEmitter", "ClusterClients", "ExecCheck", "ExecSessions"]

_log = logging.getLogger("periscope.exec")

_SSAR = GroupVersionResource("authorization.k8s.io", "v1", "selfsubjectaccessreviews")
_PROBE_TIMEOUT = 10.0
_SHUTDOWN_GRACE = 5.0  # seconds for the sessions to say goodbye and audit before the server stops anyway


class ClusterClients(Protocol):
    """What exec needs of the cluster directory."""

    def entry(self, name: str) -> ClusterEntry: ...

    async def client(self, name: str) -> KubeClient: ...


class ExecCheck(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """The pre-flight answer: may a session start now, and if not, why."""

    allowed: bool
    error: str = ""
    message: str = ""
    active_sessions: list[SessionSummary] = []


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _nobody(_: Principal) -> bool:
    return False


def _abandon_opening(
    opening: anyio.CancelScope, end: SessionEnd, reason: ClosedBy, error: PeriscopeError | None = None
) -> None:
    end.closed_by, end.error = reason, error
    opening.cancel()


class ExecSessions:
    """Every exec session of this process; one instance per process."""

    def __init__(
        self,
        clusters: ClusterClients,
        *,
        defaults: ExecPolicy = ExecPolicy(),
        audit: AuditEmitter | None = None,
        recordings: RecordingStore | None = None,
        launcher: UpstreamLauncher | None = None,
        is_admin: Callable[[Principal], bool] = _nobody,
        wall_clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.defaults = defaults
        self.registry = SessionRegistry()
        self.launcher = launcher or UpstreamLauncher()
        self._clusters = clusters
        self._audit = SessionAudit(audit, wall_clock=wall_clock)
        self._recordings = recordings
        self._is_admin = is_admin
        self._wall = wall_clock

    def policy(self, cluster: str) -> ExecPolicy:
        """The cluster's policy; raises ClusterNotFound."""
        return self.defaults.for_cluster(self._clusters.entry(cluster).exec)

    def reserve(self, principal: Principal, target: ExecTarget) -> LiveSession:
        """Take a session slot now (use it as a context manager, or hand it to ``run``).

        Raises ClusterNotFound, ExecDisabled, ShuttingDown, UserCapReached or ClusterCapReached.
        """
        policy = self._enabled_policy(target.cluster)
        return self.registry.reserve(principal, target, policy, started_at=self._wall())

    def admit(self, principal: Principal, cluster: str) -> None:
        """Raise what ``reserve`` would raise now, without taking a slot."""
        self.registry.check(principal, cluster, self._enabled_policy(cluster))

    async def check(self, principal: Principal, target: ExecTarget, *, as_: Impersonation) -> ExecCheck:
        """Whether a session could start now: exec enabled, under both caps, and RBAC allowing it."""
        try:
            self.admit(principal, target.cluster)
            await self._may_exec(target, as_=as_)
        except PeriscopeError as exc:
            active = exc.active if isinstance(exc, SessionCapReached) else []
            return ExecCheck(allowed=False, error=exc.code, message=exc.message, active_sessions=active)
        return ExecCheck(allowed=True)

    def _enabled_policy(self, cluster: str) -> ExecPolicy:
        policy = self.policy(cluster)
        if not policy.enabled:
            raise ExecDisabled(cluster)
        return policy

    async def _may_exec(self, target: ExecTarget, *, as_: Impersonation) -> None:
        kube = await self._clusters.client(target.cluster)
        attributes = {
            "namespace": target.namespace, "verb": "create", "resource": "pods", "subresource": "exec",
            "name": target.pod,
        }  # fmt: skip
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                  "spec": {"resourceAttributes": attributes}}  # fmt: skip
        answer = await kube.create(_SSAR, review, as_=as_)
        status = answer.get("status") or {}
        if not status.get("allowed"):
            reason = status.get("reason") or "RBAC does not allow create on pods/exec"
            raise Forbidden(Status(message=f"exec into {target.namespace}/{target.pod} is not allowed: {reason}",
                                   reason="Forbidden", code=403))

    def sessions(self, principal: Principal) -> list[SessionSummary]:
        """Admins see every session, everybody else their own."""
        if self._is_admin(principal):
            return self.registry.all()
        return self.registry.of_user(principal.subject)

    def force_close(self, principal: Principal, session_id: str, *, request_id: str = "") -> SessionSummary:
        """Close a session now (an admin any, a user their own); raises SessionNotFound."""
        session = self.registry.get(session_id)
        if session is None or not (self._is_admin(principal) or session.principal.subject == principal.subject):
            raise SessionNotFound(f"exec session {session_id!r}")
        summary = session.summary()
        session.request_close("forced_close")
        self._audit.forced(principal, session, request_id=request_id)
        return summary

    async def aclose(self, *, grace: float = _SHUTDOWN_GRACE) -> None:
        """Server shutdown: refuse new sessions, force-close every session and wait until each has ended
        (``grace`` seconds at most).

        Each one tells its browser and writes its ``exec_close`` row, reason ``forced_close``; one
        still opening its upstream stops opening.
        """
        self.registry.close()
        live = self.registry.live()
        _log.info("exec.shutdown sessions=%d", len(live))
        for session in live:
            session.request_close("forced_close")
        with anyio.move_on_after(grace):
            await self.registry.wait_empty()

    async def recording(self, principal: Principal, recording_id: str) -> bytes:
        """A session's asciicast, for its owner or an admin; raises SessionNotFound."""
        store = self._recordings
        meta = await store.meta(recording_id) if store else None
        visible = meta is not None and (self._is_admin(principal) or meta.user == principal.subject)
        document = await store.read(recording_id) if store and visible else None
        if document is None:
            raise SessionNotFound(f"recording {recording_id!r}")
        return document

    async def probe(self, clusters: list[str]) -> dict[str, str]:
        """Warm up credentials and the transport choice (``PERISCOPE_PROBE_CLUSTERS_ON_BOOT``).

        Runs ``true`` in the first kube-system pod of each cluster, as the bridge identity,
        all clusters at once. Returns the outcome per cluster (``ok``, ``no_pod``,
        ``timeout`` or an error code: a refusal still proves the upgrade path); never raises.
        """
        results = dict.fromkeys(clusters, "timeout")

        async def one(cluster: str) -> None:
            with anyio.move_on_after(_PROBE_TIMEOUT):
                results[cluster] = await self._probe(cluster)
            _log.info("exec.probe cluster=%s result=%s", cluster, results[cluster])

        async with anyio.create_task_group() as tg:
            for cluster in clusters:
                tg.start_soon(one, cluster)
        return results

    async def _probe(self, cluster: str) -> str:
        try:
            kube = await self._clusters.client(cluster)
        except PeriscopeError as exc:
            return exc.code
        return await self.launcher.probe(kube)

    async def run(
        self, session: LiveSession, peer: TerminalPeer, *, as_: Impersonation, request_id: str = ""
    ) -> ClosedBy:
        """Run a reserved session over an accepted browser socket until it ends; releases the slot."""
        end = SessionEnd()
        started = anyio.current_time()
        with session:
            try:
                await self._open_and_relay(session, peer, as_=as_, request_id=request_id, end=end)
            except PeriscopeError as exc:
                end.fail(exc)
            except Exception:
                _log.exception("exec session %s failed", session.session_id)
                end.fail(PeriscopeError("internal error"))
            finally:
                with anyio.CancelScope(shield=True):
                    closed = terminal.Closed(reason=end.closed_by, exit_code=end.exit_code)
                    await last_words(peer, error=end.error, closed=closed, reason=end.closed_by)
                    self._audit.ended(session, end, as_=as_, request_id=request_id,
                                      duration=anyio.current_time() - started)
        return end.closed_by

    async def _open_and_relay(
        self, session: LiveSession, peer: TerminalPeer, *, as_: Impersonation, request_id: str, end: SessionEnd
    ) -> None:
        target = session.target
        async with anyio.create_task_group() as tg:
            # Caught in here: an error leaving a task group arrives wrapped in an ExceptionGroup.
            try:
                # A close asked for while the upstream is still opening (a shutdown, an admin) ends it
                # at once instead of after a slow upgrade; the relay takes the request over afterwards.
                with anyio.CancelScope() as opening:
                    session.on_close(partial(_abandon_opening, opening, end))
                    kube = await self._clusters.client(target.cluster)
                    session.container = await self.launcher.container(kube, target, as_=as_)
                    process = await self.launcher.start(kube, target, container=session.container, as_=as_,
                                                        task_group=tg)
                if not opening.cancelled_caught:
                    try:
                        await self._relay(session, peer, process, as_=as_, request_id=request_id, end=end)
                    finally:
                        await process.aclose()
            except PeriscopeError as exc:
                end.fail(exc)
            tg.cancel_scope.cancel()

    async def _relay(
        self, session: LiveSession, peer: TerminalPeer, process: UpstreamProcess, *, as_: Impersonation,
        request_id: str, end: SessionEnd,
    ) -> None:  # fmt: skip
        session.open, session.transport = True, process.transport
        end.transport, end.command = process.transport, process.command
        self._audit.opened(session, end, as_=as_, request_id=request_id)
        now = anyio.current_time()
        recorder = await self._recorder(session, process, now=now)
        relay = Relay(peer=peer, process=process, timers=SessionTimers(session.policy, now=now), recorder=recorder)
        try:
            try:
                await relay.send_text(terminal.Hello(session_id=session.session_id, container=session.container,
                                                     transport=process.transport))
            except TerminalGone:
                relay.close("client_close")
            session.on_close(relay.close)
            end.closed_by = await relay.run()
        finally:
            end.error, end.exit_code = relay.error, relay.exit_code
            end.bytes_stdin, end.bytes_stdout = relay.bytes_stdin, relay.bytes_stdout
            if recorder is not None:
                with anyio.CancelScope(shield=True):
                    await recorder.aclose(anyio.current_time())

    async def _recorder(self, session: LiveSession, process: UpstreamProcess, *, now: float) -> SessionRecorder | None:
        if self._recordings is None or not session.policy.recording:
            return None
        target = session.target
        meta = RecordingMeta(
            recording_id=session.session_id, user=session.principal.subject, cluster=target.cluster,
            namespace=target.namespace, pod=target.pod, container=session.container, command=process.command,
            started_at=session.started_at, input_recorded=session.policy.record_input,
        )  # fmt: skip
        recorder = await SessionRecorder.start(self._recordings, meta, started=now)
        session.recording = recorder is not None
        return recorder
