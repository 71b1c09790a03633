"""Vault (and OpenBao) KV version 2 secret references, over Vault's HTTP API."""

from periscope_adapters.vault.kv import VaultResolver

__all__ = ["VaultResolver"]
