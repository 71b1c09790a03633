"""ID token verification against forged and borderline tokens (attack list S3, S4, S5)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from periscope_adapters.oidc import HttpOidcProvider
from periscope_core.domain.errors import ConfigError, IdentityProviderUnavailable, TokenRejected

from .idp import IssuerServer

NOW = 1_800_000_000.0
CLIENT = "periscope"
SIGNER = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
ROTATED = RSAKey.generate_key(2048, parameters={"kid": "k2", "use": "sig"})
ATTACKER = RSAKey.generate_key(2048, parameters={"kid": "k1"})
EC_SIGNER = ECKey.generate_key("P-256", parameters={"kid": "ec1"})


def publish(issuer: IssuerServer, *keys: RSAKey | ECKey) -> None:
    issuer.jwks = {"keys": [key.as_dict(private=False) for key in keys]}


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"sub": "alice", "aud": CLIENT, "exp": int(NOW) + 300, "iat": int(NOW), "nonce": "n-1"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(body: dict[str, Any], key: RSAKey | ECKey = SIGNER, **header: Any) -> str:
    header.setdefault("alg", "ES256" if isinstance(key, ECKey) else "RS256")
    header.setdefault("kid", key.kid)
    return jwt.encode({k: v for k, v in header.items() if v is not None}, body, key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_token(header: dict[str, Any], body: dict[str, Any], sign_with: Callable[[bytes], bytes]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(body).encode())}"
    return f"{signing_input}.{_b64(sign_with(signing_input.encode()))}"


@pytest_asyncio.fixture
async def provider(issuer: IssuerServer) -> AsyncIterator[HttpOidcProvider]:
    publish(issuer, SIGNER, EC_SIGNER)
    issuer.discovery["issuer"] = issuer.issuer
    running = await HttpOidcProvider.discover(issuer=issuer.issuer, client_id=CLIENT, clock=lambda: NOW)
    yield running
    await running.aclose()


async def verify(provider: HttpOidcProvider, token: str, nonce: str | None = "n-1") -> dict[str, Any]:
    return await provider.verify_id_token(token, nonce=nonce)


async def test_a_genuine_token_verifies(provider: HttpOidcProvider, issuer: IssuerServer) -> None:
    body = claims(iss=issuer.issuer, groups=["devs"])
    assert (await verify(provider, sign(body)))["groups"] == ["devs"]
    assert (await verify(provider, sign(body, EC_SIGNER)))["sub"] == "alice"


async def test_alg_none_is_rejected(provider: HttpOidcProvider, issuer: IssuerServer) -> None:
    token = raw_token({"alg": "none", "kid": "k1"}, claims(iss=issuer.issuer), lambda _: b"")
    with pytest.raises(TokenRejected, match="algorithm"):
        await verify(provider, token)
    with pytest.raises(TokenRejected):
        await verify(provider, token.rsplit(".", 1)[0] + ".")


async def test_hs256_signed_with_the_public_key_is_rejected(provider: HttpOidcProvider, issuer: IssuerServer) -> None:
    public_pem = SIGNER.public_key.public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    token = raw_token({"alg": "HS256", "kid": "k1"}, claims(iss=issuer.issuer),
                      lambda data: hmac.new(public_pem, data, hashlib.sha256).digest())
    with pytest.raises(TokenRejected, match="algorithm"):
        await verify(provider, token)


async def test_a_foreign_key_with_a_known_kid_is_rejected(provider: HttpOidcProvider, issuer: IssuerServer) -> None:
    with pytest.raises(TokenRejected, match="signature"):
        await verify(provider, sign(claims(iss=issuer.issuer), ATTACKER))


async def test_header_supplied_keys_are_never_fetched_or_trusted(
    provider: HttpOidcProvider, issuer: IssuerServer
) -> None:
    jwk = ATTACKER.as_dict(private=False)
    token = sign(claims(iss=issuer.issuer), ATTACKER, kid="evil", jku=f"{issuer.issuer}/evil-jwks", jwk=jwk)
    with pytest.raises(TokenRejected):
        await verify(provider, token)
    assert "/evil-jwks" not in issuer.hits


async def test_unknown_kid_is_rejected_after_one_refetch(provider: HttpOidcProvider, issuer: IssuerServer) -> None:
    before = issuer.jwks_fetches
    with pytest.raises(TokenRejected):
        await verify(provider, sign(claims(iss=issuer.issuer), ATTACKER, kid="nope"))
    assert issuer.jwks_fetches == before + 1
    with pytest.raises(TokenRejected):
        await verify(provider, sign(claims(iss=issuer.issuer), ATTACKER, kid="nope-again"))
    assert issuer.jwks_fetches == before + 1  # still inside the cooldown


async def test_a_flood_of_random_kids_costs_at_most_one_refetch(
    provider: HttpOidcProvider, issuer: IssuerServer
) -> None:
    before = issuer.jwks_fetches
    rejected = 0

    async def forged() -> None:
        nonlocal rejected
        try:
            await verify(provider, sign(claims(iss=issuer.issuer), ATTACKER, kid=secrets.token_hex(8)))
        except TokenRejected:
            rejected += 1

    async with anyio.create_task_group() as group:
        for _ in range(50):
            group.start_soon(forged)
    assert rejected == 50
    assert issuer.jwks_fetches - before <= 1


async def test_key_rotation_is_picked_up_without_a_restart(provider: HttpOidcProvider, issuer: IssuerServer) -> None:
    publish(issuer, ROTATED)
    assert (await verify(provider, sign(claims(iss=issuer.issuer), ROTATED)))["sub"] == "alice"
    # The withdrawn key no longer verifies once the JWKS has been refetched.
    with pytest.raises(TokenRejected):
        await verify(provider, sign(claims(iss=issuer.issuer), SIGNER))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": "someone-else"}, "another client"),
        ({"aud": ["someone-else", CLIENT]}, "azp"),
        ({"aud": [CLIENT, "other"], "azp": "other"}, "azp"),
        ({"exp": int(NOW) - 90}, "expired"),
        ({"exp": None}, "expired"),
        ({"iat": int(NOW) + 300}, "future"),
        ({"nbf": int(NOW) + 300}, "not valid yet"),
        ({"nonce": "n-2"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"sub": ""}, "subject"),
        ({"exp": "soon"}, "number"),
    ],
)
async def test_claims_that_fail(
    provider: HttpOidcProvider, issuer: IssuerServer, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(TokenRejected, match=message):
        await verify(provider, sign(claims(iss=issuer.issuer, **overrides)))


async def test_issuer_must_match_exactly(provider: HttpOidcProvider, issuer: IssuerServer) -> None:
    for wrong in (issuer.issuer + "/", "https://evil.example.com"):
        with pytest.raises(TokenRejected, match="issuer"):
            await verify(provider, sign(claims(iss=wrong)))


async def test_clock_skew_within_the_leeway_is_accepted(provider: HttpOidcProvider, issuer: IssuerServer) -> None:
    body = claims(iss=issuer.issuer, exp=int(NOW) - 30, iat=int(NOW) + 30, nbf=int(NOW) + 30,
                  aud=[CLIENT, "api"], azp=CLIENT)
    assert (await verify(provider, sign(body)))["sub"] == "alice"


async def test_refreshed_tokens_are_not_held_to_a_nonce(provider: HttpOidcProvider, issuer: IssuerServer) -> None:
    assert (await verify(provider, sign(claims(iss=issuer.issuer, nonce=None)), nonce=None))["sub"] == "alice"


async def test_garbage_is_rejected(provider: HttpOidcProvider) -> None:
    for token in ("", "a.b", "a.b.c", "é.é.é", "x" * 20000):
        with pytest.raises(TokenRejected):
            await verify(provider, token)


async def test_discovery_must_name_the_configured_issuer(issuer: IssuerServer) -> None:
    publish(issuer, SIGNER)
    with pytest.raises(ConfigError, match="not"):
        await HttpOidcProvider.discover(issuer=issuer.issuer + "/", client_id=CLIENT)
    issuer.discovery["id_token_signing_alg_values_supported"] = ["HS256"]
    with pytest.raises(ConfigError, match="asymmetric"):
        await HttpOidcProvider.discover(issuer=issuer.issuer, client_id=CLIENT)


async def test_an_unreachable_provider_is_reported_as_such() -> None:
    with pytest.raises(IdentityProviderUnavailable):
        await HttpOidcProvider.discover(issuer="http://127.0.0.1:9", client_id=CLIENT, timeout=2)
