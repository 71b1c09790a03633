"""The resolver for secret references: environment, files, and every store whose client is installed.

A store whose extra is missing is left unregistered, so its references fail naming
the scheme (ports.secrets) instead of passing through as literals.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping

from periscope_core.ports.secrets import ReferenceResolver

__all__ = ["secret_resolver"]


def secret_resolver(environ: Mapping[str, str] = os.environ) -> ReferenceResolver:
    """``${ENV}`` and ``file://`` references, plus AWS (the aws extra) and Vault (httpx) ones."""
    resolver = ReferenceResolver(environ=environ)
    if importlib.util.find_spec("aiobotocore") is not None:
        from periscope_adapters.aws_secrets import ParameterStoreResolver, SecretsManagerResolver

        for aws in (SecretsManagerResolver(), ParameterStoreResolver()):
            resolver.register(aws.scheme, aws)
    if importlib.util.find_spec("httpx") is not None:
        from periscope_adapters.vault import VaultResolver

        resolver.register(VaultResolver.scheme, VaultResolver.from_env(environ))
    return resolver
