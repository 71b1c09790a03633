"""ID token claim checks (OIDC Core 3.1.3.7), after the signature has been verified."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from periscope_core.domain.errors import TokenRejected


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenRejected(f"the ID token's {name} is not a number")
    return float(value)


def check_id_token_claims(
    claims: Mapping[str, Any], *, issuer: str, client_id: str, nonce: str | None, now: float, leeway: float
) -> None:
    """Raise TokenRejected unless issuer, audience, times, subject and nonce all hold."""
    if claims.get("iss") != issuer:
        raise TokenRejected("the ID token was issued by another issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if client_id not in audiences:
        raise TokenRejected("the ID token is meant for another client")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise TokenRejected("the ID token was issued to another party (azp)")
    expiry = _number(claims, "exp")
    if expiry is None or now > expiry + leeway:
        raise TokenRejected("the ID token has expired")
    issued = _number(claims, "iat")
    if issued is None or issued > now + leeway:
        raise TokenRejected("the ID token is issued in the future")
    not_before = _number(claims, "nbf")
    if not_before is not None and not_before > now + leeway:
        raise TokenRejected("the ID token is not valid yet")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise TokenRejected("the ID token has no subject")
    if nonce is not None:
        got = claims.get("nonce")
        if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
            raise TokenRejected("the ID token's nonce does not match this sign-in")
