"""The SecretResolver contract against AWS Secrets Manager and SSM (moto's server) and Vault (OpenBao).

Each store runs on loopback once per module; the AWS credentials come from the
environment, as in a pod, so each AWS test sets them there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from periscope_adapters.aws_secrets import ParameterStoreResolver, SecretsManagerResolver
from periscope_adapters.sessions import KeyRing, load_key_ring
from periscope_adapters.vault import VaultResolver
from periscope_core.domain.errors import SecretUnresolvable
from periscope_core.ports.secrets import SecretResolver
from periscope_core.testing.contracts import SecretResolverContract, StoredSecret
from periscope_entrypoints.identity import load_identity
from periscope_entrypoints.secret_resolvers import secret_resolver
from periscope_entrypoints.settings import Settings

from .sandbox_adapters import closed_port
from .secret_stores import (
    CLIENT_SECRET,
    OIDC_SECRET_ID,
    OTHER_FIELD,
    PARAMETER,
    PARAMETER_VALUE,
    PLAIN_SECRET,
    PLAIN_SECRET_ID,
    REGION,
    VAULT_TOKEN,
    Aws,
    moto_server,
    openbao_server,
    vault_write,
)


@pytest.fixture(scope="module")
def aws() -> Iterator[Aws]:
    with moto_server() as server:
        yield server


@pytest.fixture(scope="module")
def bao() -> Iterator[str]:
    with openbao_server() as address:
        yield address


@pytest.fixture
def aws_env(aws: Aws, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Aws:
    """The IAM user's key and the region in the environment, and nothing else AWS could read."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", aws.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", aws.secret_key)
    monkeypatch.setenv("AWS_REGION", REGION)
    return aws


def _wrong_aws_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


class TestSecretsManager(SecretResolverContract):
    @pytest.fixture
    def resolver(self, aws_env: Aws) -> SecretResolver:
        return SecretsManagerResolver(endpoint_url=aws_env.url, attempts=1)

    @pytest.fixture
    def stored(self) -> StoredSecret:
        return StoredSecret(f"aws-secretsmanager://{PLAIN_SECRET_ID}", PLAIN_SECRET)

    @pytest.fixture
    def missing(self) -> str:
        return "aws-secretsmanager://prod/periscope/absent"

    @pytest.fixture
    def keyed(self) -> StoredSecret:
        return StoredSecret(f"aws-secretsmanager://{OIDC_SECRET_ID}#client_secret", CLIENT_SECRET)

    @pytest.fixture
    def missing_key(self) -> str:
        return f"aws-secretsmanager://{OIDC_SECRET_ID}#clientSecret"

    @pytest.fixture
    def malformed(self) -> str:
        return "aws-secretsmanager://#client_secret"

    @pytest.fixture
    def unreachable(self, aws_env: Aws) -> SecretResolver:
        return SecretsManagerResolver(endpoint_url=f"http://127.0.0.1:{closed_port()}", attempts=1)

    @pytest.fixture
    def unauthorized(self, aws_env: Aws, monkeypatch: pytest.MonkeyPatch) -> SecretResolver:
        _wrong_aws_key(monkeypatch)
        return SecretsManagerResolver(endpoint_url=aws_env.url, attempts=1)

    async def test_a_key_of_a_secret_that_is_not_json_is_refused(self, resolver: SecretResolver) -> None:
        with pytest.raises(SecretUnresolvable, match="not JSON") as failure:
            await resolver.resolve(f"aws-secretsmanager://{PLAIN_SECRET_ID}#client_secret")
        assert PLAIN_SECRET not in str(failure.value)

    async def test_an_arn_names_its_own_region(self, resolver: SecretResolver, aws_env: Aws) -> None:
        assert await resolver.resolve(f"aws-secretsmanager://{aws_env.eu_secret_arn}") == PLAIN_SECRET

    async def test_without_a_region_the_failure_says_how_to_give_one(
        self, resolver: SecretResolver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("AWS_REGION")
        with pytest.raises(SecretUnresolvable, match="set AWS_REGION"):
            await resolver.resolve(f"aws-secretsmanager://{PLAIN_SECRET_ID}")


class TestParameterStore(SecretResolverContract):
    @pytest.fixture
    def resolver(self, aws_env: Aws) -> SecretResolver:
        return ParameterStoreResolver(endpoint_url=aws_env.url, attempts=1)

    @pytest.fixture
    def stored(self) -> StoredSecret:
        return StoredSecret(f"aws-ssm://{PARAMETER}", PARAMETER_VALUE)  # three slashes: the name starts with /

    @pytest.fixture
    def missing(self) -> str:
        return "aws-ssm:///prod/periscope/absent"

    @pytest.fixture
    def keyed(self) -> StoredSecret:
        pytest.skip("aws-ssm references have no #key")

    @pytest.fixture
    def missing_key(self) -> str:
        pytest.skip("aws-ssm references have no #key")

    @pytest.fixture
    def malformed(self) -> str:
        return f"aws-ssm://{PARAMETER}#value"

    @pytest.fixture
    def unreachable(self, aws_env: Aws) -> SecretResolver:
        return ParameterStoreResolver(endpoint_url=f"http://127.0.0.1:{closed_port()}", attempts=1)

    @pytest.fixture
    def unauthorized(self, aws_env: Aws, monkeypatch: pytest.MonkeyPatch) -> SecretResolver:
        _wrong_aws_key(monkeypatch)
        return ParameterStoreResolver(endpoint_url=aws_env.url, attempts=1)


class TestVault(SecretResolverContract):
    @pytest.fixture
    def resolver(self, bao: str) -> SecretResolver:
        return VaultResolver(address=bao, token=VAULT_TOKEN)

    @pytest.fixture
    def stored(self) -> StoredSecret:
        return StoredSecret("vault://secret/periscope/oidc#client_secret", CLIENT_SECRET)

    @pytest.fixture
    def missing(self) -> str:
        return "vault://secret/periscope/absent#client_secret"

    @pytest.fixture
    def keyed(self) -> StoredSecret:
        return StoredSecret("vault://secret/periscope/oidc#other", OTHER_FIELD)

    @pytest.fixture
    def missing_key(self) -> str:
        return "vault://secret/periscope/oidc#clientSecret"

    @pytest.fixture
    def malformed(self) -> str:
        return "vault://secret/periscope/oidc"

    @pytest.fixture
    def unreachable(self) -> SecretResolver:
        return VaultResolver(address=f"http://127.0.0.1:{closed_port()}", token=VAULT_TOKEN)

    @pytest.fixture
    def unauthorized(self, bao: str) -> SecretResolver:
        return VaultResolver(address=bao, token="not-a-token")

    async def test_a_namespace_is_read_from_the_environment(self, bao: str) -> None:
        vault_write(bao, "sys/namespaces/team", {})
        vault_write(bao, "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}}, namespace="team")
        vault_write(bao, "kv/data/periscope", {"data": {"token": "team-secret"}}, namespace="team")
        environ = {"VAULT_ADDR": bao, "VAULT_TOKEN": VAULT_TOKEN, "VAULT_NAMESPACE": "team"}
        assert await VaultResolver.from_env(environ).resolve("vault://kv/periscope#token") == "team-secret"

    async def test_a_field_that_is_not_a_string_is_refused(self, resolver: SecretResolver, bao: str) -> None:
        vault_write(bao, "secret/data/periscope/numbers", {"data": {"port": 5432}})
        with pytest.raises(SecretUnresolvable, match="not a string") as failure:
            await resolver.resolve("vault://secret/periscope/numbers#port")
        assert "5432" not in str(failure.value)

    async def test_an_unset_address_is_named(self) -> None:
        with pytest.raises(SecretUnresolvable, match="VAULT_ADDR is not set"):
            await VaultResolver.from_env({}).resolve("vault://secret/periscope/oidc#client_secret")


async def test_an_auth_file_client_secret_in_secrets_manager_resolves(
    aws_env: Aws, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env.url)
    auth_file = tmp_path / "auth.yaml"
    auth_file.write_text(yaml.safe_dump({"oidc": {
        "issuer": "https://idp.example.com", "clientID": "periscope",
        "clientSecret": f"aws-secretsmanager://{OIDC_SECRET_ID}#client_secret",
        "redirectURL": "https://periscope.example.com/api/auth/callback",
    }}))  # fmt: skip
    identity = load_identity(Settings(auth_file=str(auth_file)))
    assert await secret_resolver().resolve(identity.config.oidc.clientSecret) == CLIENT_SECRET


async def test_a_session_secret_in_parameter_store_builds_the_key_ring(
    aws_env: Aws, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env.url)
    ring = await load_key_ring(secret=f"aws-ssm://{PARAMETER}", data_dir=tmp_path, resolver=secret_resolver())
    assert ring.key_ids == KeyRing([PARAMETER_VALUE]).key_ids
