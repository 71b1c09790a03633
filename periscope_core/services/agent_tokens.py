"""Bootstrap tokens: what an admin hands an agent so it can register its cluster once.

A token is 32 random bytes (base64url), good for one registration of the one cluster
it was minted for, for 15 minutes. Only its SHA-256 is kept, so whoever reads this
process's memory or a dump of it learns no usable token. Redeeming is atomic (no
await between the check and the burn); a redemption that fails because the token has
expired or names another cluster burns it too, so a leaked token cannot be tried
against every cluster name in turn. Spent tokens are remembered until they would have
expired, to tell a replay from a token never minted; then they are reaped.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec

from periscope_core.domain.errors import PeriscopeError

__all__ = [
    "TOKEN_TTL",
    "BootstrapTokens",
    "MintedToken",
    "TokenClusterMismatch",
    "TokenExpired",
    "TokenRejected",
    "TokenSpent",
    "TokenUnknown",
    "TooManyTokens",
]

TOKEN_TTL = 15 * 60.0
_MAX_TOKENS = 1000


class TokenRejected(PeriscopeError):
    """A registration's bootstrap token is not good for it; the subclass says why."""

    code = "E_AGENT_TOKEN_REJECTED"
    http_status = 401


class TokenUnknown(TokenRejected):
    code = "E_AGENT_TOKEN_UNKNOWN"

    def __init__(self) -> None:
        super().__init__("no such bootstrap token (never minted, or expired long ago): mint a fresh one")


class TokenSpent(TokenRejected):
    code = "E_AGENT_TOKEN_USED"

    def __init__(self) -> None:
        super().__init__("this bootstrap token was already used: mint a fresh one")


class TokenExpired(TokenRejected):
    code = "E_AGENT_TOKEN_EXPIRED"

    def __init__(self) -> None:
        super().__init__("this bootstrap token has expired (15 minutes): mint a fresh one")


class TokenClusterMismatch(TokenRejected):
    code = "E_AGENT_TOKEN_CLUSTER_MISMATCH"

    def __init__(self, cluster: str) -> None:
        super().__init__(f"this bootstrap token was not minted for cluster {cluster!r}; it is now spent")


class TooManyTokens(PeriscopeError):
    code = "E_TOO_MANY_TOKENS"
    http_status = 429

    def __init__(self) -> None:
        super().__init__(f"{_MAX_TOKENS} bootstrap tokens are outstanding; use or let some expire first")


class MintedToken(msgspec.Struct, frozen=True, rename="camel"):
    """The token itself, shown once to whoever minted it."""

    token: str
    cluster: str
    expires_at: datetime


class _Entry(msgspec.Struct):
    cluster: str
    expires: float
    spent: bool = False


def _digest(token: str) -> bytes:
    # Looked up by digest, so no comparison ever runs over a secret the caller controls.
    return hashlib.sha256(token.encode()).digest()


class BootstrapTokens:
    """The outstanding tokens; ``clock`` gives epoch seconds."""

    def __init__(self, *, ttl: float = TOKEN_TTL, limit: int = _MAX_TOKENS,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self._ttl, self._limit, self._clock = ttl, limit, clock
        self._entries: dict[bytes, _Entry] = {}

    def mint(self, cluster: str) -> MintedToken:
        """A new token for ``cluster``; raises TooManyTokens when the store is full of live ones."""
        now = self._clock()
        self._reap(now)
        if len(self._entries) >= self._limit:
            raise TooManyTokens()
        token = secrets.token_urlsafe(32)
        entry = _Entry(cluster=cluster, expires=now + self._ttl)
        self._entries[_digest(token)] = entry
        return MintedToken(token=token, cluster=cluster, expires_at=datetime.fromtimestamp(entry.expires, UTC))

    def redeem(self, token: str, cluster: str) -> str:
        """Spend ``token`` to register ``cluster``; the cluster it was minted for, or a TokenRejected."""
        now = self._clock()
        entry = self._entries.get(_digest(token))
        if entry is None:
            raise TokenUnknown()
        if entry.spent:
            raise TokenSpent()
        entry.spent = True
        if now >= entry.expires:
            raise TokenExpired()
        if entry.cluster != cluster:
            raise TokenClusterMismatch(cluster)
        return entry.cluster

    def _reap(self, now: float) -> None:
        for digest in [d for d, entry in self._entries.items() if now >= entry.expires]:
            del self._entries[digest]
