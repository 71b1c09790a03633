"""The clock side of one exec session: heartbeat, idle warning, idle cut, and who closed it.

Rules:

- every ``heartbeat`` seconds a Ping is due; a ping the browser has not answered
  with *any* frame within ``pong_timeout`` ends the session (``heartbeat_timeout``);
- ``idle`` seconds without a stdin or output byte end it (``server_idle``); once per
  quiet spell an IdleWarn is due ``idle_warn`` seconds before that cut;
- a byte either way (``activity``) restarts the idle count and re-arms the warning;
  pongs and resizes keep the heartbeat alive but are not activity;
- the first ``close`` wins: its reason is the session's, later ones are ignored,
  and a closed session has no more deadlines.

Time is passed in; the driver sleeps until ``next_deadline()`` and calls ``poll``.
"""

from __future__ import annotations

import math
from typing import TypeAlias

import msgspec

from periscope_core.domain.exec import ClosedBy, ExecPolicy

__all__ = ["Expire", "IdleWarn", "Ping", "SessionTimers", "TimerAction"]


class Ping(msgspec.Struct, frozen=True):
    pass


class IdleWarn(msgspec.Struct, frozen=True):
    seconds_remaining: int


class Expire(msgspec.Struct, frozen=True):
    reason: ClosedBy


TimerAction: TypeAlias = Ping | IdleWarn | Expire


class SessionTimers:
    """Deadlines of one session; see the module docstring for the rules."""

    def __init__(self, policy: ExecPolicy, *, now: float) -> None:
        self._idle = policy.idle_seconds
        self._warn = policy.idle_warn_seconds if 0 < policy.idle_warn_seconds < policy.idle_seconds else 0.0
        self._heartbeat = policy.heartbeat_seconds
        self._pong_timeout = policy.pong_timeout_seconds
        self._last_activity = now
        self._warned = False
        self._next_ping = now + self._heartbeat
        self._ping_unanswered_since: float | None = None
        self.closed_by: ClosedBy | None = None

    @property
    def idle_deadline(self) -> float:
        return self._last_activity + self._idle

    def activity(self, now: float) -> None:
        """A stdin or output byte passed."""
        self._last_activity = max(self._last_activity, now)
        self._warned = False

    def client_alive(self) -> None:
        """The browser sent a frame (any frame answers a ping)."""
        self._ping_unanswered_since = None

    def close(self, reason: ClosedBy) -> bool:
        """Record why the session ends; True for the first call, which decides."""
        if self.closed_by is not None:
            return False
        self.closed_by = reason
        return True

    def poll(self, now: float) -> list[TimerAction]:
        """What is due at ``now``; an Expire has already been recorded as the close reason."""
        if self.closed_by is not None:
            return []
        pong_deadline = self._pong_deadline()
        if pong_deadline is not None and now >= pong_deadline:
            return self._expire("heartbeat_timeout")
        if now >= self.idle_deadline:
            return self._expire("server_idle")
        due: list[TimerAction] = []
        if self._warn and not self._warned and now >= self.idle_deadline - self._warn:
            self._warned = True
            due.append(IdleWarn(seconds_remaining=max(1, math.ceil(self.idle_deadline - now))))
        if now >= self._next_ping:
            due.append(Ping())
            if self._ping_unanswered_since is None:
                self._ping_unanswered_since = now
            self._next_ping = now + self._heartbeat
        return due

    def next_deadline(self) -> float:
        """When ``poll`` may next have something to say (infinity once closed)."""
        if self.closed_by is not None:
            return math.inf
        deadlines = [self.idle_deadline, self._next_ping]
        if self._warn and not self._warned:
            deadlines.append(self.idle_deadline - self._warn)
        pong_deadline = self._pong_deadline()
        if pong_deadline is not None:
            deadlines.append(pong_deadline)
        return min(deadlines)

    def _pong_deadline(self) -> float | None:
        since = self._ping_unanswered_since
        return None if since is None else since + self._pong_timeout

    def _expire(self, reason: ClosedBy) -> list[TimerAction]:
        self.close(reason)
        return [Expire(reason=reason)]
