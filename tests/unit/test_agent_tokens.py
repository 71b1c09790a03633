"""Bootstrap tokens: single use, 15 minutes, bound to one cluster, kept only as a hash."""

from __future__ import annotations

import base64
import pickle
from datetime import UTC, datetime

import pytest

from periscope_core.services.agent_tokens import (
    TOKEN_TTL,
    BootstrapTokens,
    TokenClusterMismatch,
    TokenExpired,
    TokenSpent,
    TokenUnknown,
    TooManyTokens,
)

START = 1_700_000_000.0


class Clock:
    """Wall time the test moves by hand (picklable, unlike a lambda)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock: Clock) -> BootstrapTokens:
    return BootstrapTokens(clock=clock)


def test_a_token_is_32_random_bytes_valid_15_minutes_for_its_cluster(tokens: BootstrapTokens) -> None:
    minted = tokens.mint("prod-eu")
    assert len(base64.urlsafe_b64decode(minted.token + "=")) == 32
    assert minted.cluster == "prod-eu"
    assert minted.expires_at == datetime.fromtimestamp(START + 15 * 60, UTC)
    assert tokens.mint("prod-eu").token != minted.token


def test_a_token_registers_its_cluster_once(tokens: BootstrapTokens) -> None:
    token = tokens.mint("prod-eu").token
    assert tokens.redeem(token, "prod-eu") == "prod-eu"
    with pytest.raises(TokenSpent) as replay:
        tokens.redeem(token, "prod-eu")
    assert (replay.value.code, replay.value.http_status) == ("E_AGENT_TOKEN_USED", 401)


def test_an_unknown_token_is_refused(tokens: BootstrapTokens) -> None:
    tokens.mint("prod-eu")
    with pytest.raises(TokenUnknown) as refused:
        tokens.redeem("not-a-token", "prod-eu")
    assert refused.value.code == "E_AGENT_TOKEN_UNKNOWN"


def test_an_expired_token_is_refused_and_burnt(tokens: BootstrapTokens, clock: Clock) -> None:
    token = tokens.mint("prod-eu").token
    clock.now += TOKEN_TTL
    with pytest.raises(TokenExpired) as refused:
        tokens.redeem(token, "prod-eu")
    assert refused.value.code == "E_AGENT_TOKEN_EXPIRED"
    clock.now = START  # even were the clock to step back, the token stays spent
    with pytest.raises(TokenSpent):
        tokens.redeem(token, "prod-eu")


def test_a_token_for_another_cluster_is_refused_and_burnt(tokens: BootstrapTokens) -> None:
    token = tokens.mint("prod-eu").token
    with pytest.raises(TokenClusterMismatch) as refused:
        tokens.redeem(token, "prod-us")
    assert refused.value.code == "E_AGENT_TOKEN_CLUSTER_MISMATCH"
    with pytest.raises(TokenSpent):
        tokens.redeem(token, "prod-eu")


def test_only_a_hash_of_each_token_is_kept(tokens: BootstrapTokens) -> None:
    minted = [tokens.mint(f"c{i}").token for i in range(5)]
    tokens.redeem(minted[0], "c0")
    memory = pickle.dumps(vars(tokens))
    for token in minted:
        assert token.encode() not in memory
        assert base64.urlsafe_b64decode(token + "=") not in memory


def test_storage_is_bounded_and_expired_tokens_make_room(clock: Clock) -> None:
    tokens = BootstrapTokens(clock=clock, limit=3)
    first = [tokens.mint("prod-eu").token for _ in range(3)]
    with pytest.raises(TooManyTokens) as full:
        tokens.mint("prod-eu")
    assert full.value.http_status == 429
    clock.now += TOKEN_TTL
    fresh = tokens.mint("prod-eu").token
    # The expired ones are gone (reaped), not merely refused.
    with pytest.raises(TokenUnknown):
        tokens.redeem(first[0], "prod-eu")
    assert tokens.redeem(fresh, "prod-eu") == "prod-eu"
