"""A key ring for sealing: AES-256-GCM, keys derived from operator secrets, rotation by listing.

``PERISCOPE_SESSION_SECRET`` holds one or more secrets separated by commas or
newlines (or a ``file://`` / ``${ENV}`` reference to them). The first seals; all of
them unseal, so a rotation is "put the new secret first, drop the old one after the
absolute session timeout". Without the variable, a secret is generated once into
``<data dir>/session.key`` (mode 0600), so a restart keeps everyone signed in.

Sealed values look like ``<key id>.<base64url(nonce | ciphertext | tag)>``; the
purpose is authenticated as associated data, so a value sealed for one use (a
refresh token of session A) cannot be replayed as another (session B, or a login).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from periscope_core.domain.errors import ConfigError, ConfigProblem
from periscope_core.ports.auth import Sealer
from periscope_core.ports.secrets import ReferenceResolver, SecretResolver

KEY_FILE = "session.key"
MIN_SECRET_LENGTH = 16
_SEPARATORS = re.compile(r"[,\s]+")
_INFO = b"periscope sealer v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeyRing(Sealer):
    """AES-GCM keys derived (HKDF-SHA256) from secrets; the first one seals."""

    def __init__(self, secrets_: Sequence[str]) -> None:
        if not secrets_:
            raise ValueError("a key ring needs at least one secret")
        self._keys: dict[str, AESGCM] = {}
        self._primary = ""
        for secret in secrets_:
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode("utf-8"))
            key_id = _b64(hashlib.sha256(key).digest()[:6])
            self._keys.setdefault(key_id, AESGCM(key))
            self._primary = self._primary or key_id

    @classmethod
    def parse(cls, value: str, *, source: str) -> KeyRing:
        """Secrets separated by commas or whitespace; raises ConfigError if any is too short."""
        parts = [p for p in _SEPARATORS.split(value) if p]
        short = [i for i, p in enumerate(parts) if len(p) < MIN_SECRET_LENGTH]
        if not parts or short:
            raise ConfigError([ConfigProblem(
                file=source, message=f"each session secret needs at least {MIN_SECRET_LENGTH} characters"
            )])
        return cls(parts)

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Key ids, primary first (safe to log)."""
        return (self._primary, *(k for k in self._keys if k != self._primary))

    def seal(self, plaintext: bytes, *, purpose: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self._primary].encrypt(nonce, plaintext, purpose.encode("utf-8"))
        return f"{self._primary}.{_b64(nonce + sealed)}"

    def unseal(self, sealed: str, *, purpose: str) -> bytes | None:
        key_id, _, body = sealed.partition(".")
        key = self._keys.get(key_id)
        if key is None:
            return None
        try:
            raw = _unb64(body)
            return key.decrypt(raw[:12], raw[12:], purpose.encode("utf-8"))
        except (InvalidTag, ValueError, binascii.Error):
            return None


def _read_or_create(path: Path) -> str:
    """The key file's text, creating it with a fresh secret if absent (racing creators agree)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")
    return path.read_text(encoding="utf-8")


async def load_key_ring(
    *, secret: str | None, data_dir: str | Path, resolver: SecretResolver | None = None
) -> KeyRing:
    """The ring from ``PERISCOPE_SESSION_SECRET`` (a value or a reference), else from the data directory.

    Raises ConfigError for a short secret or an unreadable key file, SecretUnresolvable
    for a reference that cannot be resolved.
    """
    if secret:
        value = await (resolver or ReferenceResolver()).resolve(secret)
        return KeyRing.parse(value, source="PERISCOPE_SESSION_SECRET")
    path = Path(data_dir) / KEY_FILE
    try:
        text = _read_or_create(path)
    except OSError as exc:
        raise ConfigError([ConfigProblem(file=str(path), message=f"cannot read or create: {exc}")]) from exc
    return KeyRing.parse(text, source=str(path))
