"""The per-cluster v5/v4 circuit breaker, with time passed in."""

from __future__ import annotations

from periscope_core.services.exec_breaker import V4_ONLY, V5_FIRST, ProtocolBreaker


def test_three_consecutive_failures_pin_v4_for_the_cooldown() -> None:
    breaker = ProtocolBreaker(threshold=3, cooldown=1800)
    assert breaker.offer("prod", 0) == V5_FIRST
    assert not breaker.v5_failed("prod", 1)
    assert not breaker.v5_failed("prod", 2)
    assert breaker.v5_failed("prod", 3)
    assert breaker.offer("prod", 4) == V4_ONLY
    assert breaker.offer("prod", 1802.9) == V4_ONLY
    assert breaker.offer("staging", 4) == V5_FIRST


def test_a_success_clears_the_count() -> None:
    breaker = ProtocolBreaker()
    breaker.v5_failed("prod", 1)
    breaker.v5_failed("prod", 2)
    breaker.v5_succeeded("prod")
    assert not breaker.v5_failed("prod", 3)
    assert breaker.state("prod", 3) == "closed"


def test_it_heals_after_the_cooldown_and_one_more_failure_pins_again() -> None:
    breaker = ProtocolBreaker(threshold=3, cooldown=1800)
    for t in (1, 2, 3):
        breaker.v5_failed("prod", t)
    assert breaker.state("prod", 1803) == "half_open"
    assert breaker.offer("prod", 1803) == V5_FIRST
    assert breaker.v5_failed("prod", 1804)
    assert breaker.offer("prod", 1805) == V4_ONLY


def test_a_v5_success_after_the_cooldown_closes_it() -> None:
    breaker = ProtocolBreaker(threshold=1, cooldown=10)
    breaker.v5_failed("prod", 0)
    breaker.v5_succeeded("prod")
    assert breaker.state("prod", 11) == "closed"
