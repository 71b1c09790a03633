"""The key ring (sealing with rotation) and the SQLite session store shared by replicas."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from periscope_adapters.sessions import KeyRing, SqliteSessionStore, load_key_ring
from periscope_core.domain.errors import ConfigError
from periscope_core.ports.auth import SessionRecord
from periscope_core.ports.secrets import ReferenceResolver

OLD = "old-secret-0123456789"
NEW = "new-secret-9876543210"


def record(key: str = "k1", subject: str = "alice", **fields: object) -> SessionRecord:
    base: dict[str, object] = {"created_at": 100.0, "last_seen": 100.0, "absolute_expiry": 1000.0}
    base.update(fields)
    return SessionRecord(key=key, subject=subject, **base)  # type: ignore[arg-type]


def test_seal_round_trip_is_bound_to_its_purpose() -> None:
    ring = KeyRing([NEW])
    sealed = ring.seal(b"refresh-token", purpose="refresh:k1")
    assert b"refresh-token" not in sealed.encode()
    assert ring.unseal(sealed, purpose="refresh:k1") == b"refresh-token"
    assert ring.unseal(sealed, purpose="refresh:k2") is None
    assert ring.unseal(sealed, purpose="login") is None
    assert ring.seal(b"x", purpose="p") != ring.seal(b"x", purpose="p")  # fresh nonce each time


def test_tampered_or_foreign_values_do_not_unseal() -> None:
    ring = KeyRing([NEW])
    sealed = ring.seal(b"payload", purpose="login")
    key_id, body = sealed.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for bad in (f"{key_id}.{flipped}", f"{key_id}.", "nokey.abc", "", "....", f"{key_id}.!!!"):
        assert ring.unseal(bad, purpose="login") is None
    assert KeyRing([OLD]).unseal(sealed, purpose="login") is None


def test_rotation_old_keys_still_unseal_new_key_seals() -> None:
    before = KeyRing([OLD]).seal(b"kept", purpose="login")
    rotated = KeyRing.parse(f"{NEW}, {OLD}", source="env")
    assert rotated.unseal(before, purpose="login") == b"kept"
    after = rotated.seal(b"new", purpose="login")
    assert after.split(".")[0] == rotated.key_ids[0] != before.split(".")[0]
    assert KeyRing([NEW]).unseal(after, purpose="login") == b"new"
    # Dropping the old secret ends what it sealed.
    assert KeyRing([NEW]).unseal(before, purpose="login") is None


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ConfigError, match="at least 16"):
        KeyRing.parse("short", source="PERISCOPE_SESSION_SECRET")
    with pytest.raises(ConfigError):
        KeyRing.parse(" , ", source="PERISCOPE_SESSION_SECRET")


async def test_key_ring_from_a_file_reference(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(f"{NEW}\n{OLD}\n")
    ring = await load_key_ring(secret=f"file://{secret_file}", data_dir=tmp_path / "data")
    assert ring.key_ids == KeyRing([NEW, OLD]).key_ids
    from_env = await load_key_ring(secret="${S}", data_dir=tmp_path, resolver=ReferenceResolver(environ={"S": NEW}))
    assert from_env.key_ids == KeyRing([NEW]).key_ids
    assert not (tmp_path / "data" / "session.key").exists()


async def test_without_a_secret_one_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = await load_key_ring(secret=None, data_dir=tmp_path / "data")
    key_file = tmp_path / "data" / "session.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    sealed = first.seal(b"survives restarts", purpose="login")
    again = await load_key_ring(secret="", data_dir=tmp_path / "data")
    assert again.unseal(sealed, purpose="login") == b"survives restarts"


async def test_store_crud_and_restart(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    store = await SqliteSessionStore.open(path)
    await store.create(record("k1", groups=("a", "b"), refresh_token="sealed"))
    await store.touch("k1", last_seen=150.0)
    await store.touch("k1", last_seen=120.0)  # activity never goes backwards
    await store.aclose()

    reopened = await SqliteSessionStore.open(path)
    got = await reopened.get("k1")
    assert got == record("k1", groups=("a", "b"), refresh_token="sealed", last_seen=150.0)
    assert await reopened.get("absent") is None
    await reopened.delete("k1")
    await reopened.delete("k1")
    assert await reopened.get("k1") is None
    await reopened.aclose()


async def test_replace_is_a_compare_and_swap(tmp_path: Path) -> None:
    store = await SqliteSessionStore.open(tmp_path / "s.db")
    await store.create(record("k1"))
    assert await store.replace(record("k1", groups=("x",), version=2), expected_version=1)
    # A second replica still holding version 1 loses.
    assert not await store.replace(record("k1", groups=("y",), version=2), expected_version=1)
    current = await store.get("k1")
    assert current is not None
    assert (current.groups, current.version) == (("x",), 2)
    await store.aclose()


async def test_two_replicas_share_sessions_and_logout_everywhere(tmp_path: Path) -> None:
    one = await SqliteSessionStore.open(tmp_path / "s.db")
    two = await SqliteSessionStore.open(tmp_path / "s.db")
    await one.create(record("a1", "alice"))
    await two.create(record("a2", "alice"))
    await one.create(record("b1", "bob"))
    assert await two.get("a1") is not None
    assert await two.delete_subject("alice") == 2
    assert await one.get("a1") is None
    assert await one.get("a2") is None
    assert await one.get("b1") is not None
    await one.aclose()
    await two.aclose()


async def test_claims_are_one_time_and_purged(tmp_path: Path) -> None:
    store = await SqliteSessionStore.open(tmp_path / "s.db")
    assert await store.claim_once("login:abc", expires_at=200.0)
    assert not await store.claim_once("login:abc", expires_at=200.0)
    await store.create(record("old", absolute_expiry=150.0))
    await store.create(record("idle", last_seen=10.0))
    await store.create(record("live", last_seen=190.0))
    assert await store.purge(now=250.0, idle_since=100.0) == 2
    assert [await store.get(k) is not None for k in ("old", "idle", "live")] == [False, False, True]
    # The expired claim is gone, so the key could be claimed again.
    assert await store.claim_once("login:abc", expires_at=400.0)
    await store.aclose()
