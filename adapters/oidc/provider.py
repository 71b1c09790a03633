"""An OpenID Connect provider over HTTP: discovery, code flow with PKCE, refresh, userinfo, logout.

Foreign errors stop here: network failures and malformed answers become
IdentityProviderUnavailable, refusals and failed verifications TokenRejected. The
client follows no redirects (a token endpoint that redirects is misconfigured or
hostile) and accepts only asymmetric signatures the provider announces.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
import msgspec
from joserfc import jws
from joserfc.errors import JoseError

from periscope_adapters.oidc._claims import check_id_token_claims
from periscope_adapters.oidc._jwks import JwksCache
from periscope_core.domain.auth_config import DEFAULT_SCOPES
from periscope_core.domain.errors import ConfigError, ConfigProblem, IdentityProviderUnavailable, TokenRejected
from periscope_core.ports.auth import OidcProvider, TokenSet

ASYMMETRIC_ALGORITHMS = frozenset({
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
})
_MAX_TOKEN = 16 << 10
_MAX_DOCUMENT = 1 << 20
_claims_decoder = msgspec.json.Decoder(dict[str, Any])


class _Metadata(msgspec.Struct, frozen=True):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""
    id_token_signing_alg_values_supported: tuple[str, ...] = ("RS256",)
    token_endpoint_auth_methods_supported: tuple[str, ...] = ("client_secret_basic",)


class _TokenResponse(msgspec.Struct, frozen=True):
    access_token: str
    token_type: str = "Bearer"
    id_token: str = ""
    refresh_token: str = ""
    expires_in: float | None = None
    scope: str = ""


class _ErrorResponse(msgspec.Struct, frozen=True):
    error: str = ""


def _with_query(url: str, params: Sequence[tuple[str, str]]) -> str:
    """``url`` with ``params`` appended to whatever query it already has."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


class HttpOidcProvider(OidcProvider):
    """Build it with ``await HttpOidcProvider.discover(...)``; one per configured issuer."""

    def __init__(
        self,
        *,
        metadata: _Metadata,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str],
        audience: str,
        http: httpx.AsyncClient,
        jwks: JwksCache,
        leeway: float,
        clock: Callable[[], float],
    ) -> None:
        self._meta = metadata
        self._client_id = client_id
        self._client_secret = client_secret
        self._scopes = " ".join(scopes)
        self._audience = audience
        self._http = http
        self._jwks = jwks
        self._leeway = leeway
        self._clock = clock
        self._algorithms = ASYMMETRIC_ALGORITHMS & set(metadata.id_token_signing_alg_values_supported)

    @classmethod
    async def discover(
        cls,
        *,
        issuer: str,
        client_id: str,
        client_secret: str = "",
        scopes: Sequence[str] = DEFAULT_SCOPES,
        audience: str = "",
        timeout: float = 10.0,
        leeway: float = 60.0,
        jwks_cooldown: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> HttpOidcProvider:
        """Fetch the discovery document and the JWKS.

        Raises IdentityProviderUnavailable when either cannot be fetched, ConfigError
        when the document names another issuer (exact match, trailing slash included)
        or no algorithm Periscope accepts.
        """
        http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        try:
            url = issuer.rstrip("/") + "/.well-known/openid-configuration"
            metadata = msgspec.convert(await _get_json(http, url), type=_Metadata)
            problems = []
            if metadata.issuer != issuer:
                problems.append(f"discovery names issuer {metadata.issuer!r}, not {issuer!r}")
            if not ASYMMETRIC_ALGORITHMS & set(metadata.id_token_signing_alg_values_supported):
                problems.append("the provider signs ID tokens with no asymmetric algorithm Periscope accepts")
            if problems:
                raise ConfigError([ConfigProblem(file="oidc discovery", field="oidc.issuer", message=p)
                                   for p in problems])
            jwks = JwksCache(lambda: _get_json(http, metadata.jwks_uri), cooldown=jwks_cooldown, clock=clock)
            await jwks.load()
        except msgspec.ValidationError as exc:
            await http.aclose()
            raise IdentityProviderUnavailable(f"malformed discovery document from {issuer}: {exc}") from exc
        except BaseException:
            await http.aclose()
            raise
        return cls(metadata=metadata, client_id=client_id, client_secret=client_secret, scopes=scopes,
                   audience=audience, http=http, jwks=jwks, leeway=leeway, clock=clock)

    @property
    def issuer(self) -> str:
        return self._meta.issuer

    @property
    def jwks(self) -> JwksCache:
        return self._jwks

    def authorization_url(self, *, state: str, nonce: str, code_challenge: str, redirect_uri: str) -> str:
        params = [
            ("response_type", "code"),
            ("client_id", self._client_id),
            ("redirect_uri", redirect_uri),
            ("scope", self._scopes),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", code_challenge),
            ("code_challenge_method", "S256"),
        ]
        if self._audience:
            params.append(("audience", self._audience))
        return _with_query(self._meta.authorization_endpoint, params)

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        return await self._token({
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        })

    async def refresh(self, refresh_token: str) -> TokenSet:
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def _token(self, form: dict[str, str]) -> TokenSet:
        headers = {"Accept": "application/json"}
        methods = self._meta.token_endpoint_auth_methods_supported
        if self._client_secret and "client_secret_basic" in methods:
            # RFC 6749 2.3.1: both parts are form-encoded before Basic encoding.
            pair = f"{quote(self._client_id, safe='')}:{quote(self._client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        else:
            form["client_id"] = self._client_id
            if self._client_secret:
                form["client_secret"] = self._client_secret
        try:
            response = await self._http.post(self._meta.token_endpoint, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise IdentityProviderUnavailable(f"token endpoint unreachable: {type(exc).__name__}") from exc
        if response.status_code in (400, 401):
            error = _decode(response.content, _ErrorResponse, default=_ErrorResponse()).error or "refused"
            raise TokenRejected(f"the token endpoint refused the request ({error[:64]})")
        if response.status_code != 200:
            raise IdentityProviderUnavailable(f"token endpoint answered HTTP {response.status_code}")
        body = _decode(response.content, _TokenResponse, default=None)
        if body is None or body.token_type.lower() != "bearer":
            raise IdentityProviderUnavailable("the token endpoint sent a malformed answer")
        expires_at = self._clock() + body.expires_in if body.expires_in else 0.0
        return TokenSet(access_token=body.access_token, id_token=body.id_token, refresh_token=body.refresh_token,
                        expires_at=expires_at, scope=body.scope)

    async def verify_id_token(self, id_token: str, *, nonce: str | None) -> dict[str, Any]:
        if len(id_token) > _MAX_TOKEN:
            raise TokenRejected("the ID token is too large")
        try:
            signed = jws.extract_compact(id_token.encode("ascii"))
            header = signed.headers()
        except (JoseError, ValueError, TypeError, UnicodeError) as exc:
            raise TokenRejected("the ID token is not a signed JWT") from exc
        algorithm = header.get("alg")
        if algorithm not in self._algorithms:
            raise TokenRejected(f"the ID token's algorithm {str(algorithm)[:16]!r} is not accepted")
        kid = header.get("kid")
        kid = kid if isinstance(kid, str) else None
        keys = await self._jwks.keys_for(kid)
        if not any(self._signed_by(signed, key, algorithm) for key in keys):
            fresh = await self._jwks.keys_for(kid, refetch=True)
            if fresh == keys or not any(self._signed_by(signed, key, algorithm) for key in fresh):
                raise TokenRejected("the ID token's signature does not verify with the provider's keys")
        try:
            claims = _claims_decoder.decode(signed.payload)
        except msgspec.DecodeError as exc:
            raise TokenRejected("the ID token's claims are not a JSON object") from exc
        check_id_token_claims(claims, issuer=self._meta.issuer, client_id=self._client_id, nonce=nonce,
                              now=self._clock(), leeway=self._leeway)
        return claims

    @staticmethod
    def _signed_by(signed: Any, key: Any, algorithm: str) -> bool:
        try:
            return bool(jws.validate_compact(signed, key, algorithms=[algorithm]))
        except (JoseError, ValueError, TypeError):
            return False

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        if not self._meta.userinfo_endpoint:
            return {}
        try:
            response = await self._http.get(self._meta.userinfo_endpoint,
                                            headers={"Authorization": f"Bearer {access_token}",
                                                     "Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise IdentityProviderUnavailable(f"userinfo endpoint unreachable: {type(exc).__name__}") from exc
        if response.status_code in (400, 401, 403):
            raise TokenRejected(f"the userinfo endpoint refused the access token (HTTP {response.status_code})")
        claims: dict[str, Any] | None = None
        if response.status_code == 200:
            claims = _decode(response.content, dict[str, Any], default=None)
        if claims is None:
            raise IdentityProviderUnavailable(f"userinfo endpoint answered HTTP {response.status_code} "
                                              "without a JSON object")
        return claims

    def end_session_url(self, *, id_token_hint: str, post_logout_redirect: str) -> str | None:
        if not self._meta.end_session_endpoint:
            return None
        params = [("client_id", self._client_id)]
        if id_token_hint:
            params.append(("id_token_hint", id_token_hint))
        if post_logout_redirect:
            params.append(("post_logout_redirect_uri", post_logout_redirect))
        return _with_query(self._meta.end_session_endpoint, params)

    async def aclose(self) -> None:
        await self._http.aclose()


def _decode(content: bytes, type_: Any, *, default: Any) -> Any:
    try:
        return msgspec.json.decode(content, type=type_)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return default


async def _get_json(http: httpx.AsyncClient, url: str) -> Any:
    try:
        response = await http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise IdentityProviderUnavailable(f"{url} unreachable: {type(exc).__name__}") from exc
    if response.status_code != 200 or len(response.content) > _MAX_DOCUMENT:
        raise IdentityProviderUnavailable(f"{url} answered HTTP {response.status_code}")
    try:
        return msgspec.json.decode(response.content)
    except msgspec.DecodeError as exc:
        raise IdentityProviderUnavailable(f"{url} did not answer JSON") from exc
