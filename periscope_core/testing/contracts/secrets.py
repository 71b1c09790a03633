"""The contract every SecretResolver adapter is held to, against a real store.

Subclass ``SecretResolverContract`` and provide these fixtures:

- ``resolver``: a resolver that reaches the store;
- ``stored``: a ``StoredSecret`` the store holds;
- ``missing``: a reference to a secret the store does not hold;
- ``keyed``: a ``StoredSecret`` whose reference picks one ``#key`` of a secret holding
  several (skip when the scheme has no keys);
- ``missing_key``: a reference to that same secret with a key it lacks;
- ``malformed``: a reference of the adapter's scheme that breaks its syntax;
- ``unreachable``: a resolver pointed at an address where nothing listens;
- ``unauthorized``: a resolver with credentials the store refuses (skip where the
  store accepts any).
"""

from __future__ import annotations

import msgspec
import pytest

from periscope_core.domain.errors import SecretUnresolvable
from periscope_core.ports.secrets import SecretResolver

__all__ = ["SecretResolverContract", "StoredSecret"]


class StoredSecret(msgspec.Struct, frozen=True):
    reference: str
    value: str


async def _refused(resolver: SecretResolver, reference: str, *, secrets: tuple[str, ...]) -> None:
    """Resolving fails with a message that names the reference and holds none of ``secrets``."""
    with pytest.raises(SecretUnresolvable) as failure:
        await resolver.resolve(reference)
    message = str(failure.value)
    assert reference in message
    for secret in secrets:
        assert secret not in message


class SecretResolverContract:
    async def test_a_stored_secret_resolves(self, resolver: SecretResolver, stored: StoredSecret) -> None:
        assert await resolver.resolve(stored.reference) == stored.value
        assert await resolver.resolve(stored.reference) == stored.value  # a resolver is reusable

    async def test_a_missing_secret_is_named_in_the_failure(
        self, resolver: SecretResolver, missing: str, stored: StoredSecret
    ) -> None:
        await _refused(resolver, missing, secrets=(stored.value,))

    async def test_a_key_picks_one_field(self, resolver: SecretResolver, keyed: StoredSecret) -> None:
        assert await resolver.resolve(keyed.reference) == keyed.value

    async def test_a_missing_key_is_named_in_the_failure(
        self, resolver: SecretResolver, keyed: StoredSecret, missing_key: str
    ) -> None:
        await _refused(resolver, missing_key, secrets=(keyed.value,))

    async def test_a_malformed_reference_is_refused(self, resolver: SecretResolver, malformed: str) -> None:
        await _refused(resolver, malformed, secrets=())

    async def test_an_unreachable_store_is_unresolvable(
        self, unreachable: SecretResolver, stored: StoredSecret
    ) -> None:
        await _refused(unreachable, stored.reference, secrets=(stored.value,))

    async def test_refused_credentials_are_unresolvable(
        self, unauthorized: SecretResolver, stored: StoredSecret
    ) -> None:
        await _refused(unauthorized, stored.reference, secrets=(stored.value,))
