"""Ports for signing people in: the identity provider, the session store, and sealing.

The browser only ever holds opaque values: a random session id, and during sign-in
a sealed (encrypted and authenticated) login-state cookie. Everything else lives in
the session store, with IdP tokens sealed at rest (ADR 0004).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import msgspec


class TokenSet(msgspec.Struct, frozen=True, kw_only=True):
    """A token endpoint's answer; ``expires_at`` is absolute (epoch seconds), 0 when unknown."""

    access_token: str
    id_token: str = ""
    refresh_token: str = ""
    expires_at: float = 0.0
    scope: str = ""


class OidcProvider(ABC):
    """One OpenID Connect provider, already discovered. Used by the BFF, never by the browser.

    Every method raises IdentityProviderUnavailable when the provider cannot be
    reached or answers malformed data, and TokenRejected when it refuses a code or
    refresh token or when a token fails verification.
    """

    @property
    @abstractmethod
    def issuer(self) -> str:
        """The exact issuer string tokens must carry."""

    @abstractmethod
    def authorization_url(self, *, state: str, nonce: str, code_challenge: str, redirect_uri: str) -> str:
        """The authorize URL for the code flow with PKCE (S256), ``state`` and ``nonce``."""

    @abstractmethod
    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        """Redeem an authorization code at the token endpoint."""

    @abstractmethod
    async def verify_id_token(self, id_token: str, *, nonce: str | None) -> dict[str, Any]:
        """The claims of a verified ID token.

        Checks the signature against the provider's JWKS (asymmetric algorithms only,
        refetching the JWKS once per cooldown for an unknown ``kid``), the exact
        issuer, the audience (and ``azp`` when there are several), expiry and
        ``iat``/``nbf`` with a small clock-skew allowance, and ``nonce`` unless it is
        None (refreshed tokens carry none to compare).
        """

    @abstractmethod
    async def refresh(self, refresh_token: str) -> TokenSet:
        """Use a refresh token; a provider that does not rotate it leaves ``refresh_token`` empty."""

    @abstractmethod
    async def userinfo(self, access_token: str) -> dict[str, Any]:
        """The userinfo endpoint's claims for an access token."""

    @abstractmethod
    def end_session_url(self, *, id_token_hint: str, post_logout_redirect: str) -> str | None:
        """The RP-initiated logout URL, or None when the provider has no end-session endpoint."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release the HTTP client; idempotent."""


class SessionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One signed-in browser, as stored. Tokens are sealed; ``key`` is a hash of the cookie's id."""

    key: str
    subject: str
    email: str = ""
    groups: tuple[str, ...] = ()
    created_at: float
    last_seen: float
    absolute_expiry: float
    access_expiry: float = 0.0
    """When the access token runs out; a refresh is due shortly before."""
    refreshed_at: float = 0.0
    refresh_token: str = ""
    id_token: str = ""
    version: int = 1
    """Bumped on every replace, so two replicas refreshing at once cannot both win."""


class SessionStore(ABC):
    """Durable sessions shared by every replica that points at the same store."""

    @abstractmethod
    async def create(self, record: SessionRecord) -> None:
        """Store a new session (keys are random; an existing key is overwritten)."""

    @abstractmethod
    async def get(self, key: str) -> SessionRecord | None:
        """The session, or None when it does not exist (any more)."""

    @abstractmethod
    async def replace(self, record: SessionRecord, *, expected_version: int) -> bool:
        """Write ``record`` only if the stored version is still ``expected_version``; False otherwise."""

    @abstractmethod
    async def touch(self, key: str, *, last_seen: float) -> None:
        """Record activity, for the idle timeout."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """End one session; idempotent."""

    @abstractmethod
    async def delete_subject(self, subject: str) -> int:
        """End every session of a subject (logout everywhere); returns how many ended."""

    @abstractmethod
    async def purge(self, *, now: float, idle_since: float) -> int:
        """Drop sessions past their absolute expiry or last seen before ``idle_since``, and expired claims."""

    @abstractmethod
    async def claim_once(self, key: str, *, expires_at: float) -> bool:
        """True the first time ``key`` is claimed before it expires (nonce and state replay guard)."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release the store; idempotent."""


class Sealer(ABC):
    """Authenticated encryption with a key ring: the primary key seals, every key unseals."""

    @abstractmethod
    def seal(self, plaintext: bytes, *, purpose: str) -> str:
        """An opaque, URL- and cookie-safe string; ``purpose`` is bound in, so values cannot be swapped."""

    @abstractmethod
    def unseal(self, sealed: str, *, purpose: str) -> bytes | None:
        """The plaintext, or None when no key in the ring sealed ``sealed`` for ``purpose``."""
