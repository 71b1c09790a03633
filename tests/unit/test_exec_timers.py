"""The exec session clock, driven by hand: no sockets, no sleeping."""

from __future__ import annotations

import math

from periscope_core.domain.exec import ExecPolicy
from periscope_core.domain.exec_timers import Expire, IdleWarn, Ping, SessionTimers

POLICY = ExecPolicy(idle_seconds=600, idle_warn_seconds=30, heartbeat_seconds=20, pong_timeout_seconds=10)


def answered(timers: SessionTimers, until: float, *, step: float = 5.0, start: float = 0.0) -> list[object]:
    """Poll every ``step`` seconds up to ``until``, answering each ping at once."""
    seen: list[object] = []
    now = start
    while now <= until:
        for action in timers.poll(now):
            seen.append((now, action))
            if isinstance(action, Ping):
                timers.client_alive()
        now += step
    return seen


def test_pings_are_due_every_heartbeat() -> None:
    timers = SessionTimers(POLICY, now=0.0)
    assert timers.next_deadline() == 20.0
    assert timers.poll(19.9) == []
    assert timers.poll(20.0) == [Ping()]
    timers.client_alive()
    assert timers.next_deadline() == 40.0


def test_an_unanswered_ping_times_out() -> None:
    timers = SessionTimers(POLICY, now=0.0)
    assert timers.poll(20.0) == [Ping()]
    assert timers.next_deadline() == 30.0
    assert timers.poll(29.9) == []
    assert timers.poll(30.0) == [Expire("heartbeat_timeout")]
    assert timers.closed_by == "heartbeat_timeout"
    assert timers.poll(1000.0) == []
    assert timers.next_deadline() == math.inf


def test_output_alone_does_not_answer_a_ping() -> None:
    timers = SessionTimers(POLICY, now=0.0)
    timers.poll(20.0)
    timers.activity(25.0)
    assert timers.poll(30.0) == [Expire("heartbeat_timeout")]


def test_idle_warns_once_then_closes() -> None:
    timers = SessionTimers(POLICY, now=0.0)
    events = answered(timers, 700.0)
    assert (570.0, IdleWarn(seconds_remaining=30)) in events
    assert [e for e in events if isinstance(e[1], IdleWarn)] == [(570.0, IdleWarn(seconds_remaining=30))]
    assert events[-1] == (600.0, Expire("server_idle"))
    assert timers.closed_by == "server_idle"


def test_any_byte_restarts_the_idle_count_and_rearms_the_warning() -> None:
    timers = SessionTimers(POLICY, now=0.0)
    answered(timers, 580.0)
    timers.activity(580.0)
    events = answered(timers, 1200.0, start=585.0)
    warns = [e for e in events if isinstance(e[1], IdleWarn)]
    assert warns == [(1150.0, IdleWarn(seconds_remaining=30))]
    assert events[-1] == (1180.0, Expire("server_idle"))


def test_the_warning_counts_whole_seconds_left() -> None:
    timers = SessionTimers(ExecPolicy(idle_seconds=10, idle_warn_seconds=3, heartbeat_seconds=100), now=0.0)
    assert timers.poll(7.5) == [IdleWarn(seconds_remaining=3)]


def test_a_warning_as_long_as_the_idle_time_is_never_sent() -> None:
    timers = SessionTimers(ExecPolicy(idle_seconds=10, idle_warn_seconds=10, heartbeat_seconds=100), now=0.0)
    assert timers.next_deadline() == 10.0
    assert timers.poll(10.0) == [Expire("server_idle")]


def test_the_first_close_wins() -> None:
    timers = SessionTimers(POLICY, now=0.0)
    assert timers.close("forced_close")
    assert not timers.close("client_close")
    assert timers.closed_by == "forced_close"
    assert timers.poll(10_000.0) == []
