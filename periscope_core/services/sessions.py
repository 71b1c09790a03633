"""Sign-in, session lifetime and sign-out for the backend-for-frontend.

Rules this module keeps:

- Sign-in is the authorization code flow with PKCE (S256), ``state`` and ``nonce``.
  The login state travels in a sealed cookie, so any replica can finish a sign-in
  another one started, and each state is claimed once in the store (no replay).
- Identity comes only from a verified ID token; groups from its ``groupsClaim``,
  or from userinfo (fetched with the new access token, ``sub`` must match) when the
  ID token does not carry the claim. ``allowedGroups`` is checked at sign-in and
  again after every refresh; an identity unsafe to impersonate is refused at once.
- A session ends at the idle timeout, at the absolute timeout, when a refresh is
  refused, when the user leaves the allowed groups, at logout, or when any of the
  subject's sessions logs out everywhere (every replica reads the same store).
- The browser holds a random 256-bit id; the store keys sessions by its SHA-256 and
  keeps IdP tokens sealed, bound to that key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import msgspec

from periscope_core.domain.auth_config import AuthConfig
from periscope_core.domain.authz import group_allowed, impersonation_for
from periscope_core.domain.errors import (
    GroupNotAllowed,
    IdentityProviderUnavailable,
    IdentityRejected,
    LoginFailed,
    TokenRejected,
    Unauthenticated,
)
from periscope_core.domain.identity import Impersonation, Principal
from periscope_core.ports.auth import OidcProvider, Sealer, SessionRecord, SessionStore, TokenSet

__all__ = [
    "LOGIN_COOKIE",
    "LOGIN_TTL",
    "ActiveSession",
    "LoginResult",
    "LoginStart",
    "LogoutResult",
    "SessionService",
    "safe_return_path",
]

LOGIN_COOKIE = "periscope_login"
LOGIN_TTL = 600.0
REFRESH_MARGIN = 60.0
"""Refresh when the access token has less than this left, as the original does."""
TOUCH_INTERVAL = 30.0
"""Activity is written at most this often, so reads stay reads; the idle timeout is that coarse."""

_MAX_RETURN_PATH = 2048
_IDP_ERROR = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class LoginStart(msgspec.Struct, frozen=True):
    """Redirect the browser to ``authorize_url`` and set ``login_cookie`` for ``max_age`` seconds."""

    authorize_url: str
    login_cookie: str
    max_age: int = int(LOGIN_TTL)


class ActiveSession(msgspec.Struct, frozen=True):
    session_id: str
    """The cookie value; unchanged for the session's life."""
    principal: Principal
    impersonation: Impersonation
    expires_at: float
    """Absolute expiry (epoch seconds): the cookie's Expires and whoami's expiresAt."""


class LoginResult(msgspec.Struct, frozen=True):
    session: ActiveSession
    return_to: str


class LogoutResult(msgspec.Struct, frozen=True):
    ended: int
    end_session_url: str | None = None
    """Where to send the browser next (the IdP's logout), or None for the local signed-out page."""


class _LoginState(msgspec.Struct, frozen=True):
    state: str
    nonce: str
    verifier: str
    return_to: str
    created_at: float


def safe_return_path(value: str | None) -> str:
    """A same-origin path to land on after sign-in; anything else becomes ``/``.

    Refused: absolute and scheme-relative URLs (``//host``, ``/\\host``), schemes
    (``javascript:``, ``https:host``), control characters and spaces (browsers drop
    tabs and newlines, turning ``/\\t/host`` into ``//host``), and any of those
    hidden behind percent-encoding.
    """
    if not value or len(value) > _MAX_RETURN_PATH or any(ch <= " " or ch == "\x7f" for ch in value):
        return "/"
    decoded = value
    for _ in range(3):
        decoded = unquote(decoded)
    # Browsers drop tabs and newlines anywhere in a URL before parsing it.
    decoded = decoded.translate({9: None, 10: None, 13: None})
    for candidate in (value, decoded):
        if not candidate.startswith("/") or candidate.startswith(("//", "/\\")) or "\\" in candidate:
            return "/"
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return "/"
    return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _session_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _claim_groups(claims: Mapping[str, Any], claim: str) -> tuple[str, ...] | None:
    """The groups claim as a tuple (a single string counts as one group); None when absent."""
    if claim not in claims:
        return None
    value = claims[claim]
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list):
        return tuple(dict.fromkeys(g for g in value if isinstance(g, str) and g))
    return ()


class SessionService:
    """Everything the auth routes do, over an OIDC provider, a session store and a sealer."""

    def __init__(
        self,
        *,
        config: AuthConfig,
        provider: OidcProvider,
        store: SessionStore,
        sealer: Sealer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._authz = config.authorization
        self._provider = provider
        self._store = store
        self._sealer = sealer
        self._clock = clock
        self._idle = config.session.idle_seconds
        self._absolute = config.session.absolute_seconds
        self._revalidate = config.session.revalidate_seconds

    # -- sign-in ---------------------------------------------------------------------------

    def begin_login(self, *, return_to: str | None = None) -> LoginStart:
        """Start the code flow: fresh state, nonce and PKCE verifier, sealed into the login cookie."""
        verifier = secrets.token_urlsafe(48)
        login = _LoginState(
            state=secrets.token_urlsafe(16),
            nonce=secrets.token_urlsafe(16),
            verifier=verifier,
            return_to=safe_return_path(return_to),
            created_at=self._clock(),
        )
        url = self._provider.authorization_url(
            state=login.state,
            nonce=login.nonce,
            code_challenge=_b64(hashlib.sha256(verifier.encode("ascii")).digest()),
            redirect_uri=self._config.oidc.redirectURL,
        )
        return LoginStart(authorize_url=url, login_cookie=self._sealer.seal(msgspec.json.encode(login),
                                                                            purpose="login"))

    def _login_state(self, login_cookie: str | None) -> _LoginState:
        if not login_cookie:
            raise LoginFailed("expired", "the sign-in took too long or started in another browser; sign in again")
        raw = self._sealer.unseal(login_cookie, purpose="login")
        if raw is None:
            raise LoginFailed("state", "the sign-in state is not valid; sign in again")
        try:
            login = msgspec.json.decode(raw, type=_LoginState)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise LoginFailed("state", "the sign-in state is not valid; sign in again") from exc
        if self._clock() - login.created_at > LOGIN_TTL:
            raise LoginFailed("expired", "the sign-in took too long; sign in again")
        return login

    async def complete_login(self, *, login_cookie: str | None, params: Mapping[str, str]) -> LoginResult:
        """Finish the code flow from the callback's query parameters.

        Raises LoginFailed (bad or expired state, IdP error, no code), TokenRejected
        (code or ID token refused), GroupNotAllowed, IdentityRejected, or
        IdentityProviderUnavailable. The caller clears the login cookie whatever happens.
        """
        login = self._login_state(login_cookie)
        if not hmac.compare_digest(params.get("state", "").encode(), login.state.encode()):
            raise LoginFailed("state", "the sign-in state does not match; sign in again")
        if error := params.get("error"):
            shown = error if _IDP_ERROR.match(error) else "error"
            raise LoginFailed("idp_error", f"the identity provider refused the sign-in ({shown})")
        code = params.get("code", "")
        if not code:
            raise LoginFailed("no_code", "the identity provider sent no authorization code")
        state_key = "login:" + hashlib.sha256(login.state.encode()).hexdigest()
        if not await self._store.claim_once(state_key, expires_at=login.created_at + LOGIN_TTL):
            raise LoginFailed("state", "this sign-in was already used; sign in again")

        tokens = await self._provider.exchange_code(
            code=code, code_verifier=login.verifier, redirect_uri=self._config.oidc.redirectURL
        )
        if not tokens.id_token:
            raise TokenRejected("the identity provider returned no ID token")
        claims = await self._provider.verify_id_token(tokens.id_token, nonce=login.nonce)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise TokenRejected("the ID token has no subject")
        principal = await self._principal(subject, claims, tokens, previous=())
        if not group_allowed(principal, self._authz):
            raise GroupNotAllowed("you are not a member of a group allowed to use Periscope")
        impersonation = impersonation_for(principal, self._authz)

        now = self._clock()
        session_id = secrets.token_urlsafe(32)
        key = _session_key(session_id)
        record = SessionRecord(
            key=key,
            subject=principal.subject,
            email=principal.email,
            groups=principal.groups,
            created_at=now,
            last_seen=now,
            absolute_expiry=now + self._absolute,
            access_expiry=tokens.expires_at,
            refreshed_at=now,
            refresh_token=self._seal(tokens.refresh_token, "refresh", key),
            id_token=self._seal(tokens.id_token, "id", key),
        )
        await self._store.create(record)
        return LoginResult(
            session=ActiveSession(session_id, principal, impersonation, record.absolute_expiry),
            return_to=login.return_to,
        )

    async def _principal(
        self, subject: str, claims: Mapping[str, Any], tokens: TokenSet, *, previous: tuple[str, ...]
    ) -> Principal:
        """Email and groups from verified claims, falling back to userinfo, then to what was known."""
        claim = self._authz.groupsClaim
        groups = _claim_groups(claims, claim)
        email = claims.get("email")
        if groups is None and tokens.access_token:
            info = await self._provider.userinfo(tokens.access_token)
            if info.get("sub") != subject:
                raise TokenRejected("userinfo describes a different subject")
            groups = _claim_groups(info, claim)
            email = email if isinstance(email, str) else info.get("email")
        return Principal(
            subject=subject,
            email=email if isinstance(email, str) else "",
            groups=previous if groups is None else groups,
        )

    # -- session lifetime ------------------------------------------------------------------

    async def resume(self, session_id: str | None) -> ActiveSession:
        """The live session behind a cookie, refreshed when due; raises Unauthenticated otherwise.

        May also raise IdentityProviderUnavailable when a refresh is overdue and the
        IdP cannot be reached (the session is kept for a later try).
        """
        if not session_id:
            raise Unauthenticated("missing")
        key = _session_key(session_id)
        record = await self._store.get(key)
        if record is None:
            raise Unauthenticated("missing")
        now = self._clock()
        if now >= record.absolute_expiry:
            await self._store.delete(key)
            raise Unauthenticated("absolute", "the session reached its maximum age; sign in again")
        if now - record.last_seen >= self._idle:
            await self._store.delete(key)
            raise Unauthenticated("idle", "the session was idle too long; sign in again")
        if self._refresh_due(record, now):
            record = await self._refresh(record, now)
        if now - record.last_seen >= TOUCH_INTERVAL:
            await self._store.touch(key, last_seen=now)
        principal = Principal(subject=record.subject, email=record.email, groups=record.groups)
        try:
            impersonation = impersonation_for(principal, self._authz)
        except IdentityRejected:
            await self._store.delete(key)
            raise
        return ActiveSession(session_id, principal, impersonation, record.absolute_expiry)

    def _refresh_due(self, record: SessionRecord, now: float) -> bool:
        if not record.refresh_token:
            return False
        near_expiry = bool(record.access_expiry) and now >= record.access_expiry - REFRESH_MARGIN
        return near_expiry or now - record.refreshed_at >= self._revalidate

    async def _refresh(self, record: SessionRecord, now: float) -> SessionRecord:
        refresh_token = self._unseal(record.refresh_token, "refresh", record.key)
        try:
            if not refresh_token:
                raise TokenRejected("the refresh token was sealed with a key no longer in the ring")
            tokens = await self._provider.refresh(refresh_token)
            claims: Mapping[str, Any] = {}
            if tokens.id_token:
                claims = await self._provider.verify_id_token(tokens.id_token, nonce=None)
                if claims.get("sub") != record.subject:
                    raise TokenRejected("the refreshed ID token names a different subject")
            principal = await self._principal(record.subject, claims, tokens, previous=record.groups)
        except TokenRejected as exc:
            current = await self._store.get(record.key)
            if current is not None and current.version != record.version:
                return current  # another replica refreshed first, with the rotated token
            await self._store.delete(record.key)
            raise Unauthenticated(
                "refresh_failed", "the identity provider ended the session; sign in again"
            ) from exc
        except IdentityProviderUnavailable:
            if not record.access_expiry or now < record.access_expiry:
                return record
            raise
        if not group_allowed(principal, self._authz):
            await self._store.delete(record.key)
            raise Unauthenticated("revoked", "you are no longer in a group allowed to use Periscope")
        updated = msgspec.structs.replace(
            record,
            email=principal.email or record.email,
            groups=principal.groups,
            last_seen=now,
            access_expiry=tokens.expires_at,
            refreshed_at=now,
            # Re-sealing with the primary key migrates live sessions after a key rotation.
            refresh_token=self._seal(tokens.refresh_token or refresh_token, "refresh", record.key),
            id_token=self._seal(tokens.id_token or self._unseal(record.id_token, "id", record.key), "id",
                                record.key),
            version=record.version + 1,
        )
        if await self._store.replace(updated, expected_version=record.version):
            return updated
        current = await self._store.get(record.key)
        if current is None:
            raise Unauthenticated("revoked")
        return current

    # -- sign-out --------------------------------------------------------------------------

    async def logout(self, session_id: str | None) -> None:
        """End this browser's session; idempotent."""
        if session_id:
            await self._store.delete(_session_key(session_id))

    async def logout_everywhere(self, session_id: str | None) -> LogoutResult:
        """End every session of this session's subject, on every replica, and point at the IdP's logout."""
        record = await self._store.get(_session_key(session_id)) if session_id else None
        if record is None:
            return LogoutResult(ended=0)
        ended = await self._store.delete_subject(record.subject)
        url = self._provider.end_session_url(
            id_token_hint=self._unseal(record.id_token, "id", record.key),
            post_logout_redirect=self._config.oidc.postLogoutRedirect,
        )
        return LogoutResult(ended=ended, end_session_url=url)

    async def purge(self) -> int:
        """Drop expired sessions and claims; run it every few minutes."""
        now = self._clock()
        return await self._store.purge(now=now, idle_since=now - self._idle)

    # -- sealing ---------------------------------------------------------------------------

    def _seal(self, token: str, kind: str, key: str) -> str:
        return self._sealer.seal(token.encode("utf-8"), purpose=f"{kind}:{key}") if token else ""

    def _unseal(self, sealed: str, kind: str, key: str) -> str:
        if not sealed:
            return ""
        raw = self._sealer.unseal(sealed, purpose=f"{kind}:{key}")
        return "" if raw is None else raw.decode("utf-8")
