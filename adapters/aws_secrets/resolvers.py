"""``aws-secretsmanager://`` and ``aws-ssm://`` references, read with the default credential chain.

Credentials come from wherever the AWS SDKs look (Pod Identity, IRSA, the environment,
a profile); the region from an ARN-form name, else ``AWS_REGION``, else botocore's own
lookup (``AWS_DEFAULT_REGION``, the profile). References are resolved a few times at
start-up, so each one opens its own short-lived client.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import ClassVar

import msgspec
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

from periscope_core.domain.errors import SecretUnresolvable
from periscope_core.ports.secrets import SecretResolver, pick_field, split_reference

__all__ = ["ParameterStoreResolver", "SecretsManagerResolver"]


@asynccontextmanager
async def _failures_named(reference: str) -> AsyncIterator[None]:
    """botocore's failures as SecretUnresolvable naming the reference and AWS's error code."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SecretUnresolvable(
            f"cannot resolve {reference}: AWS answered {error.get('Code', 'an error')}: {error.get('Message', '')}"
        ) from exc
    except NoRegionError as exc:
        raise SecretUnresolvable(
            f"cannot resolve {reference}: no AWS region; set AWS_REGION or name the secret by its ARN"
        ) from exc
    except BotoCoreError as exc:  # no credentials, endpoint unreachable, timeouts
        raise SecretUnresolvable(f"cannot resolve {reference}: {type(exc).__name__}: {exc}") from exc


class _AwsResolver(SecretResolver):
    scheme: ClassVar[str]

    def __init__(self, *, endpoint_url: str | None = None, attempts: int = 3) -> None:
        """``endpoint_url`` overrides AWS's (``AWS_ENDPOINT_URL`` does too); ``attempts`` counts the first call."""
        self._endpoint_url = endpoint_url
        self._session = get_session()
        self._config = AioConfig(connect_timeout=5, read_timeout=10,
                                 retries={"mode": "standard", "total_max_attempts": attempts})

    def _location(self, reference: str) -> tuple[str, str | None]:
        name, key = split_reference(reference, self.scheme)
        if not name:
            raise SecretUnresolvable(f"{reference} names nothing to read")
        return name, key

    @staticmethod
    def _region(name: str) -> str | None:
        """An ARN's own region (``arn:aws:<service>:<region>:...``), else ``AWS_REGION``."""
        parts = name.split(":")
        if parts[0] == "arn" and len(parts) > 3 and parts[3]:
            return parts[3]
        return os.environ.get("AWS_REGION") or None


class SecretsManagerResolver(_AwsResolver):
    """``aws-secretsmanager://<secret-id>[#<jsonKey>]``: the secret's string, or one key of it as JSON."""

    scheme = "aws-secretsmanager"

    async def resolve(self, reference: str) -> str:
        secret_id, key = self._location(reference)
        async with (
            _failures_named(reference),
            self._session.create_client("secretsmanager", region_name=self._region(secret_id),
                                        endpoint_url=self._endpoint_url, config=self._config) as client,
        ):
            answer = await client.get_secret_value(SecretId=secret_id)
        text = answer.get("SecretString")
        if text is None:
            raise SecretUnresolvable(f"cannot resolve {reference}: the secret holds binary data, not a string")
        if key is None:
            return text
        try:
            document = msgspec.json.decode(text)
        except msgspec.DecodeError as exc:
            raise SecretUnresolvable(
                f"cannot resolve {reference}: the secret is not JSON, so it has no key {key}"
            ) from exc
        return pick_field(reference, document, key)


class ParameterStoreResolver(_AwsResolver):
    """``aws-ssm://<parameter-name>``: the parameter, decrypted; ``aws-ssm:///a/b`` names ``/a/b``."""

    scheme = "aws-ssm"

    async def resolve(self, reference: str) -> str:
        name, key = self._location(reference)
        if key is not None:
            raise SecretUnresolvable(f"{reference}: aws-ssm references take no #key; a parameter holds one value")
        async with (
            _failures_named(reference),
            self._session.create_client("ssm", region_name=self._region(name),
                                        endpoint_url=self._endpoint_url, config=self._config) as client,
        ):
            answer = await client.get_parameter(Name=name, WithDecryption=True)
        return answer["Parameter"]["Value"]
