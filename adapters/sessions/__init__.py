"""Session storage and sealing: an SQLite session store and an AES-GCM key ring (ADR 0004)."""

from periscope_adapters.sessions.keyring import KeyRing, load_key_ring
from periscope_adapters.sessions.sqlite import SqliteSessionStore

__all__ = ["KeyRing", "SqliteSessionStore", "load_key_ring"]
