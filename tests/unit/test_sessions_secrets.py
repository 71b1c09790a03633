"""Secret references: ${ENV}, file://, registered schemes, and literals."""

from __future__ import annotations

from pathlib import Path

import pytest

from periscope_core.domain.errors import SecretUnresolvable
from periscope_core.ports.secrets import ReferenceResolver, SecretResolver


class Vault(SecretResolver):
    """A resolver for one scheme, as the Vault adapter will register itself."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def resolve(self, reference: str) -> str:
        self.asked.append(reference)
        return "from-vault"


async def test_environment_reference() -> None:
    resolver = ReferenceResolver(environ={"OIDC_CLIENT_SECRET": "s3cret"})
    assert await resolver.resolve("${OIDC_CLIENT_SECRET}") == "s3cret"
    with pytest.raises(SecretUnresolvable, match="MISSING") as failure:
        await resolver.resolve("${MISSING}")
    assert "s3cret" not in str(failure.value)


async def test_file_reference_trims_trailing_newlines_only(tmp_path: Path) -> None:
    secret = tmp_path / "client-secret"
    secret.write_text("  spaced secret \n\n")
    assert await ReferenceResolver(environ={}).resolve(f"file://{secret}") == "  spaced secret "
    with pytest.raises(SecretUnresolvable, match="cannot read"):
        await ReferenceResolver(environ={}).resolve(f"file://{tmp_path / 'absent'}")


async def test_literals_pass_through() -> None:
    resolver = ReferenceResolver(environ={})
    for literal in ("plain-secret", "$NOT_A_REFERENCE", "${lower-case-dash}", "https://not-a-scheme-we-know/x"):
        assert await resolver.resolve(literal) == literal


async def test_other_schemes_go_to_their_resolver() -> None:
    vault = Vault()
    resolver = ReferenceResolver(environ={}, delegates={"vault": vault})
    assert await resolver.resolve("vault://kv/periscope#clientSecret") == "from-vault"
    assert vault.asked == ["vault://kv/periscope#clientSecret"]


async def test_reserved_schemes_without_a_resolver_fail_instead_of_leaking_as_literals() -> None:
    resolver = ReferenceResolver(environ={})
    with pytest.raises(SecretUnresolvable, match="aws-secretsmanager"):
        await resolver.resolve("aws-secretsmanager://prod/periscope/oidc#client_secret")
    resolver.register("aws-ssm", Vault())
    assert await resolver.resolve("aws-ssm:///prod/periscope/oidc") == "from-vault"
