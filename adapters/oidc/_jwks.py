"""The provider's signing keys, cached, and refetched when a token names a key we lack.

An unknown ``kid`` triggers at most one refetch per cooldown, however many tokens
with random ``kid``s arrive: the first caller refetches, the others wait for it and
look again, and until the cooldown passes further misses are refused without a
request. Keys are also refreshed once they are older than ``max_age``, so a key the
provider withdrew stops verifying. Only asymmetric signing keys are kept.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, OKPKey, RSAKey

_KEY_TYPES: dict[str, type[RSAKey] | type[ECKey] | type[OKPKey]] = {"RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}


def _import(document: Any) -> dict[str, list[Key]]:
    """Signing keys by kid ("" for keys without one); unusable entries are skipped."""
    keys: dict[str, list[Key]] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        key_type = _KEY_TYPES.get(str(entry.get("kty")))
        if key_type is None or "d" in entry:
            continue
        try:
            key = key_type.import_key(entry)
        except (JoseError, ValueError, TypeError):
            continue
        keys.setdefault(str(entry.get("kid") or ""), []).append(key)
    return keys


class JwksCache:
    def __init__(
        self,
        fetch: Callable[[], Awaitable[Any]],
        *,
        cooldown: float = 60.0,
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._cooldown = cooldown
        self._max_age = max_age
        self._clock = clock
        self._keys: dict[str, list[Key]] = {}
        self._fetched_at = float("-inf")
        self._next_refetch = float("-inf")
        self._lock = anyio.Lock()
        self.fetches = 0
        """How many times the JWKS was downloaded (for health pages and tests)."""

    async def load(self) -> None:
        """Download the key set now; raises what ``fetch`` raises."""
        async with self._lock:
            await self._download()

    async def _download(self) -> None:
        document = await self._fetch()
        self._keys = _import(document)
        self._fetched_at = self._clock()
        self.fetches += 1

    def _find(self, kid: str | None) -> list[Key]:
        if kid is not None:
            return self._keys.get(kid, [])
        # Without a kid, a single published key is unambiguous; several are not.
        every = [key for keys in self._keys.values() for key in keys]
        return every if len(every) == 1 else []

    async def keys_for(self, kid: str | None, *, refetch: bool = False) -> list[Key]:
        """Candidate verification keys for a token's ``kid`` (empty when none is published).

        ``refetch`` asks for a fresh download even if keys were found (a provider that
        rotates without kids leaves the old key looking right); the cooldown still applies.
        """
        now = self._clock()
        cached = self._find(kid)
        if cached and not refetch and now - self._fetched_at < self._max_age:
            return cached
        if now < self._next_refetch:
            return cached
        seen = self._fetched_at
        async with self._lock:
            # Somebody else refetched while we waited: use their keys rather than fetch again.
            if self._fetched_at == seen and self._clock() >= self._next_refetch:
                self._next_refetch = self._clock() + self._cooldown
                await self._download()
        return self._find(kid)
