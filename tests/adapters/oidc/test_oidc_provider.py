"""The OIDC adapter against a real provider on loopback: code flow, refresh, userinfo, rotation, logout."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio

from periscope_adapters.oidc import HttpOidcProvider
from periscope_core.domain.errors import IdentityProviderUnavailable, TokenRejected
from periscope_core.ports.auth import TokenSet

from .idp import Idp, authorize, run_idp

REDIRECT = "http://localhost:8080/api/auth/callback"


@pytest_asyncio.fixture
async def provider(idp: Idp) -> AsyncIterator[HttpOidcProvider]:
    running = await HttpOidcProvider.discover(issuer=idp.issuer, client_id="periscope", client_secret="s3cret",
                                              audience="https://periscope")
    yield running
    await running.aclose()


async def sign_in(provider: HttpOidcProvider, sub: str = "alice", nonce: str = "n-1") -> TokenSet:
    url = provider.authorization_url(state="s-1", nonce=nonce, code_challenge="c" * 43, redirect_uri=REDIRECT)
    params = await authorize(url, sub=sub)
    assert params["state"] == "s-1"
    return await provider.exchange_code(code=params["code"], code_verifier="v" * 64, redirect_uri=REDIRECT)


async def test_authorization_url_carries_pkce_state_nonce_and_audience(provider: HttpOidcProvider) -> None:
    url = provider.authorization_url(state="st", nonce="nn", code_challenge="ch", redirect_uri=REDIRECT)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{provider.issuer}/oauth2/authorize?")
    assert query == {
        "response_type": "code", "client_id": "periscope", "redirect_uri": REDIRECT,
        "scope": "openid profile email offline_access groups", "state": "st", "nonce": "nn",
        "code_challenge": "ch", "code_challenge_method": "S256", "audience": "https://periscope",
    }


async def test_code_flow_yields_a_verified_id_token_with_groups(provider: HttpOidcProvider) -> None:
    tokens = await sign_in(provider)
    assert tokens.access_token
    assert tokens.refresh_token
    assert tokens.expires_at > time.time() + 600
    claims = await provider.verify_id_token(tokens.id_token, nonce="n-1")
    assert (claims["sub"], claims["email"], claims["groups"]) == (
        "alice", "alice@example.com", ["periscope-users", "devs"]
    )
    assert (await provider.userinfo(tokens.access_token))["groups"] == ["periscope-users", "devs"]


async def test_a_code_works_once(provider: HttpOidcProvider) -> None:
    url = provider.authorization_url(state="s", nonce="n", code_challenge="c" * 43, redirect_uri=REDIRECT)
    code = (await authorize(url, sub="alice"))["code"]
    await provider.exchange_code(code=code, code_verifier="v" * 64, redirect_uri=REDIRECT)
    with pytest.raises(TokenRejected, match="invalid_grant"):
        await provider.exchange_code(code=code, code_verifier="v" * 64, redirect_uri=REDIRECT)


async def test_a_token_for_another_client_is_rejected(idp: Idp, provider: HttpOidcProvider) -> None:
    other = await HttpOidcProvider.discover(issuer=idp.issuer, client_id="another-app", client_secret="x")
    try:
        tokens = await sign_in(other)
    finally:
        await other.aclose()
    with pytest.raises(TokenRejected, match="another client"):
        await provider.verify_id_token(tokens.id_token, nonce="n-1")


async def test_an_expired_token_is_rejected(idp: Idp, provider: HttpOidcProvider) -> None:
    tokens = await sign_in(provider)
    later = await HttpOidcProvider.discover(issuer=idp.issuer, client_id="periscope",
                                            clock=lambda: time.time() + 3600 + 120)
    try:
        with pytest.raises(TokenRejected, match="expired"):
            await later.verify_id_token(tokens.id_token, nonce="n-1")
    finally:
        await later.aclose()


async def test_refresh_and_revocation(idp: Idp, provider: HttpOidcProvider) -> None:
    tokens = await sign_in(provider)
    idp.put_user("alice", {"email": "alice@example.com", "groups": ["sre"]})
    refreshed = await provider.refresh(tokens.refresh_token)
    assert refreshed.access_token != tokens.access_token
    assert (await provider.userinfo(refreshed.access_token))["groups"] == ["sre"]
    with pytest.raises(TokenRejected):
        await provider.userinfo(tokens.access_token)  # the old access token was replaced
    idp.revoke_tokens("alice")
    with pytest.raises(TokenRejected):
        await provider.refresh(tokens.refresh_token)
    with pytest.raises(TokenRejected):
        await provider.refresh("made-up")


async def test_signing_key_rotation_without_kids(idp: Idp, provider: HttpOidcProvider) -> None:
    before = await sign_in(provider)
    fetches = idp.hits.get("/jwks", 0)
    idp.rotate_key()
    after = await sign_in(provider)
    assert (await provider.verify_id_token(after.id_token, nonce="n-1"))["sub"] == "alice"
    assert idp.hits["/jwks"] == fetches + 1
    with pytest.raises(TokenRejected, match="signature"):
        await provider.verify_id_token(before.id_token, nonce="n-1")


async def test_end_session_url(provider: HttpOidcProvider) -> None:
    url = provider.end_session_url(id_token_hint="tok", post_logout_redirect="https://p.example.com/api/auth/loggedout")
    assert url is not None
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{provider.issuer}/oauth2/end_session?")
    assert query == {"client_id": "periscope", "id_token_hint": "tok",
                     "post_logout_redirect_uri": "https://p.example.com/api/auth/loggedout"}


async def test_a_provider_that_went_away_is_unavailable_not_a_rejection() -> None:
    with run_idp({"alice": {}}) as short_lived:
        provider = await HttpOidcProvider.discover(issuer=short_lived.issuer, client_id="periscope", timeout=2)
    try:
        with pytest.raises(IdentityProviderUnavailable):
            await provider.refresh("anything")
        with pytest.raises(IdentityProviderUnavailable):
            await provider.userinfo("anything")
    finally:
        await provider.aclose()
