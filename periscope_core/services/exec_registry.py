"""Active exec sessions and the caps on them.

A slot is reserved *before* the browser's upgrade is accepted, by one synchronous
check-and-add: no ``await`` separates counting from adding, so concurrent opens on
the event loop can never overshoot a cap (the original counted, then added). A
reservation counts from that moment until it is released, whatever happens between.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

import anyio

from periscope_core.domain.errors import PeriscopeError, ShuttingDown
from periscope_core.domain.exec import (
    ClosedBy,
    ClusterCapReached,
    ExecPolicy,
    ExecTarget,
    SessionCapReached,
    SessionSummary,
    UserCapReached,
)
from periscope_core.domain.identity import Principal

__all__ = ["LiveSession", "SessionRegistry"]

_log = logging.getLogger("periscope.exec")


class LiveSession:
    """One reserved slot; the relay fills in what it learns and hooks up ``request_close``."""

    def __init__(
        self, registry: SessionRegistry, *, principal: Principal, target: ExecTarget, policy: ExecPolicy,
        started_at: datetime,
    ) -> None:  # fmt: skip
        self.session_id = uuid.uuid4().hex
        self.principal = principal
        self.target = target
        self.policy = policy
        self.started_at = started_at
        self.container = target.container
        self.transport = ""
        self.open = False
        self.recording = False
        self._registry = registry
        self._on_close: Callable[[ClosedBy, PeriscopeError | None], None] | None = None
        self._close_requested: tuple[ClosedBy, PeriscopeError | None] | None = None

    def summary(self) -> SessionSummary:
        return SessionSummary(
            session_id=self.session_id, user=self.principal.subject, cluster=self.target.cluster,
            namespace=self.target.namespace, pod=self.target.pod, container=self.container, tty=self.target.tty,
            started_at=self.started_at, state="open" if self.open else "opening", transport=self.transport,
            recording=self.recording,
        )  # fmt: skip

    def on_close(self, callback: Callable[[ClosedBy, PeriscopeError | None], None]) -> None:
        """Who ends the session when asked (the opener, then the relay); a close asked for earlier runs at once."""
        self._on_close = callback
        if self._close_requested is not None:
            callback(*self._close_requested)

    def request_close(self, reason: ClosedBy, error: PeriscopeError | None = None) -> None:
        """End the session for ``reason``; ``error`` is what the browser is told (and sets the close code)."""
        # Kept even when a callback took it: the relay that takes over from the opener must still end.
        if self._close_requested is None:
            self._close_requested = (reason, error)
        if self._on_close is not None:
            self._on_close(reason, error)

    def release(self) -> None:
        """Give the slot back; idempotent."""
        self._registry.release(self.session_id)

    def __enter__(self) -> LiveSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class SessionRegistry:
    """Every reserved or open session of this process, by id."""

    def __init__(self) -> None:
        self._sessions: dict[str, LiveSession] = {}
        self._emptied: anyio.Event | None = None
        self._closed = False

    def close(self) -> None:
        """Refuse every new slot from now on (the server is stopping)."""
        self._closed = True

    def reserve(
        self, principal: Principal, target: ExecTarget, policy: ExecPolicy, *, started_at: datetime
    ) -> LiveSession:
        """Take a slot, or raise ShuttingDown, UserCapReached or ClusterCapReached (listing the caller's sessions)."""
        self.check(principal, target.cluster, policy)
        session = LiveSession(self, principal=principal, target=target, policy=policy, started_at=started_at)
        self._sessions[session.session_id] = session
        return session

    def check(self, principal: Principal, cluster: str, policy: ExecPolicy) -> None:
        """Raise ShuttingDown, or the cap error a new session would hit now."""
        if self._closed:
            raise ShuttingDown()
        mine = self.of_user(principal.subject)
        if len(mine) >= policy.max_sessions_per_user:
            self._refuse(principal, len(mine), UserCapReached(
                f"you already have {len(mine)} exec sessions open (limit {policy.max_sessions_per_user})",
                limit=policy.max_sessions_per_user, active=mine,
            ))  # fmt: skip
        on_cluster = sum(1 for s in self._sessions.values() if s.target.cluster == cluster)
        if on_cluster >= policy.max_sessions_total:
            self._refuse(principal, on_cluster, ClusterCapReached(
                f"cluster {cluster!r} already has {on_cluster} exec sessions open (limit {policy.max_sessions_total})",
                limit=policy.max_sessions_total, active=mine,
            ))  # fmt: skip

    @staticmethod
    def _refuse(principal: Principal, count: int, error: SessionCapReached) -> None:
        _log.info("exec.cap.hit cap=%s actor=%s count=%d limit=%d", error.cap, principal.subject, count, error.limit)
        raise error

    def release(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)
        if not self._sessions and self._emptied is not None:
            self._emptied.set()

    async def wait_empty(self) -> None:
        """Return once every slot has been released."""
        while self._sessions:
            if self._emptied is None or self._emptied.is_set():
                self._emptied = anyio.Event()  # made here: the registry may be built outside the event loop
            await self._emptied.wait()

    def live(self) -> list[LiveSession]:
        return list(self._sessions.values())

    def get(self, session_id: str) -> LiveSession | None:
        return self._sessions.get(session_id)

    def of_user(self, subject: str) -> list[SessionSummary]:
        return [s.summary() for s in self._sessions.values() if s.principal.subject == subject]

    def all(self) -> list[SessionSummary]:
        return [s.summary() for s in self._sessions.values()]

    def __len__(self) -> int:
        return len(self._sessions)

