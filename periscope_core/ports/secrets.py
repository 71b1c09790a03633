"""Secret references: how a config value names a secret instead of holding it.

``${NAME}`` reads an environment variable, ``file://path`` a file (trailing newlines
trimmed, as mounted Secrets often end with one), ``<scheme>://...`` goes to the
resolver registered for that scheme (the entrypoints register the AWS Secrets
Manager, SSM and Vault adapters), and anything else is the secret itself. A ``#<key>``
suffix picks one field of a secret that holds several.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping

import anyio

from periscope_core.domain.errors import SecretUnresolvable

_ENV = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://")
RESERVED_SCHEMES = frozenset({"aws-secretsmanager", "aws-ssm", "vault"})
"""Schemes that are always references: without a resolver they fail instead of passing as literals."""


def split_reference(reference: str, scheme: str) -> tuple[str, str | None]:
    """``<scheme>://<location>[#<key>]`` as (location, key); raises SecretUnresolvable for another scheme."""
    prefix = f"{scheme}://"
    if not reference.startswith(prefix):
        raise SecretUnresolvable(f"{reference} is not a {prefix} reference")
    location, hashed, key = reference.removeprefix(prefix).partition("#")
    return location, key if hashed else None


def pick_field(reference: str, document: object, key: str) -> str:
    """The string under ``key`` of a decoded JSON object; errors name the reference and key, never a value."""
    if not isinstance(document, dict):
        raise SecretUnresolvable(f"cannot resolve {reference}: the secret is not a JSON object, so it has no key {key}")
    if key not in document:
        raise SecretUnresolvable(f"cannot resolve {reference}: the secret has no key {key}")
    value = document[key]
    if not isinstance(value, str):
        raise SecretUnresolvable(f"cannot resolve {reference}: the value under {key} is not a string")
    return value


class SecretResolver(ABC):
    """Turns a reference into the secret it names."""

    @abstractmethod
    async def resolve(self, reference: str) -> str:
        """The secret; raises SecretUnresolvable naming the reference (never the secret)."""


class ReferenceResolver(SecretResolver):
    """Environment, files and literals here; other schemes delegated by name."""

    def __init__(
        self, *, environ: Mapping[str, str] | None = None, delegates: Mapping[str, SecretResolver] | None = None
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._delegates = dict(delegates or {})

    def register(self, scheme: str, resolver: SecretResolver) -> None:
        self._delegates[scheme] = resolver

    async def resolve(self, reference: str) -> str:
        if env := _ENV.match(reference):
            name = env.group(1)
            if name not in self._environ:
                raise SecretUnresolvable(f"environment variable {name} is not set")
            return self._environ[name]
        if reference.startswith("file://"):
            return await self._read(reference.removeprefix("file://"))
        scheme = _SCHEME.match(reference)
        if scheme and scheme.group(1) in self._delegates:
            return await self._delegates[scheme.group(1)].resolve(reference)
        if scheme and scheme.group(1) in RESERVED_SCHEMES:
            raise SecretUnresolvable(f"no resolver is installed for {scheme.group(1)}:// references")
        return reference

    @staticmethod
    async def _read(path: str) -> str:
        try:
            text = await anyio.Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretUnresolvable(f"cannot read secret file {path}: {exc}") from exc
        return text.rstrip("\r\n")
