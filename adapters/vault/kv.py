"""``vault://<mount>/<path>#<key>``: field ``<key>`` of the KV version 2 secret ``<path>`` at ``<mount>``.

The mount is the first segment, so ``vault://secret/periscope/oidc#client_secret``
reads ``GET /v1/secret/data/periscope/oidc``. The server, token and namespace come
from ``VAULT_ADDR``, ``VAULT_TOKEN`` and ``VAULT_NAMESPACE``, as for Vault's own CLI;
a private CA is trusted through ``SSL_CERT_FILE``. One GET needs no client library:
httpx keeps the call async and cancellable (ADR 0011).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import ClassVar

import httpx
import msgspec

from periscope_core.domain.errors import SecretUnresolvable
from periscope_core.ports.secrets import SecretResolver, pick_field, split_reference

__all__ = ["VaultResolver"]

_HINTS = {403: "check VAULT_TOKEN and its policy", 404: "no secret at that path, or its latest version is deleted"}


class _Version(msgspec.Struct):
    data: dict[str, object]


class _Read(msgspec.Struct):
    data: _Version


class _Failure(msgspec.Struct):
    errors: list[str] = []


class VaultResolver(SecretResolver):
    """Reads one field of a KV v2 secret per reference."""

    scheme: ClassVar[str] = "vault"

    def __init__(self, *, address: str, token: str, namespace: str = "", timeout: float = 10.0) -> None:
        self._address = address.rstrip("/")
        self._token = token
        self._namespace = namespace
        self._timeout = timeout

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> VaultResolver:
        return cls(address=environ.get("VAULT_ADDR", ""), token=environ.get("VAULT_TOKEN", ""),
                   namespace=environ.get("VAULT_NAMESPACE", ""))

    async def resolve(self, reference: str) -> str:
        location, key = split_reference(reference, self.scheme)
        mount, _, path = location.partition("/")
        if not (mount and path and key):
            raise SecretUnresolvable(f"{reference} is not a Vault reference: write vault://<mount>/<path>#<key>")
        for variable, value in (("VAULT_ADDR", self._address), ("VAULT_TOKEN", self._token)):
            if not value:
                raise SecretUnresolvable(f"cannot resolve {reference}: {variable} is not set")
        headers = {"X-Vault-Token": self._token}
        if self._namespace:
            headers["X-Vault-Namespace"] = self._namespace
        try:
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=True) as client:
                answer = await client.get(f"{self._address}/v1/{mount}/data/{path}", headers=headers)
        except httpx.HTTPError as exc:
            raise SecretUnresolvable(
                f"cannot resolve {reference}: cannot reach Vault at {self._address}: {type(exc).__name__}"
            ) from exc
        if answer.status_code != 200:
            raise SecretUnresolvable(f"cannot resolve {reference}: Vault answered {answer.status_code}: {_why(answer)}")
        try:
            version = msgspec.json.decode(answer.content, type=_Read).data
        except msgspec.DecodeError as exc:
            raise SecretUnresolvable(f"cannot resolve {reference}: not a KV version 2 secret") from exc
        return pick_field(reference, version.data, key)


def _why(answer: httpx.Response) -> str:
    """Vault's own error messages (they name paths, never secret data) and a hint for the usual statuses."""
    try:
        errors = msgspec.json.decode(answer.content, type=_Failure).errors
    except msgspec.DecodeError:
        errors = []
    why = "; ".join(errors) or answer.reason_phrase
    return f"{why} ({_HINTS[answer.status_code]})" if answer.status_code in _HINTS else why
