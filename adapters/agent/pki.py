"""The agent tunnel's PKI: one CA per deployment, the hub's listener certificate, agents' client certificates.

The CA (ECDSA P-256, ten years) is kept in the data directory (``agent-ca/``, key
readable by the owner only), made on first start, or loaded as the operator placed it
(bring your own PKI). The listener's certificate is minted in memory for the configured
names and renewed while the server runs, before it expires (``renew_if_due``). An
agent's certificate is issued from its CSR for the cluster its bootstrap token names:
whatever CN the CSR asked for, the certificate's CN is that cluster, because the tunnel
takes its identity from the certificate alone.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import secrets
import ssl
import tempfile
from collections.abc import Sequence
from pathlib import Path

import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from periscope_core.domain.errors import InvalidRequest

__all__ = ["AgentCa", "Issued", "client_ssl_context", "new_csr", "spki_sha256"]

CA_DIR = "agent-ca"
_CA_LIFETIME = datetime.timedelta(days=3650)
_LEAF_LIFETIME = datetime.timedelta(days=90)
_BACKDATE = datetime.timedelta(minutes=1)
_CLIENT_ORG = "periscope-agent"


class Issued(msgspec.Struct, frozen=True):
    """A certificate and its private key (PEM); the key is empty for a certificate issued from a CSR."""

    cert_pem: bytes
    key_pem: bytes = b""


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())  # fmt: skip


def _load_chain(ctx: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    # The ssl module loads a key only from a file: a private one, gone right after.
    with tempfile.TemporaryDirectory(prefix="periscope-agent-") as tmp:
        path = os.path.join(tmp, "chain.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(cert_pem + key_pem)
        ctx.load_cert_chain(path)


def spki_sha256(cert_pem: bytes) -> str:
    """``sha256:<hex>`` of a certificate's SubjectPublicKeyInfo: a pin that survives re-issuing for the same key."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(spki).hexdigest()


def new_csr(cluster: str) -> Issued:
    """An agent's new key and its CSR (in ``cert_pem``) asking for ``cluster``."""
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cluster),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, _CLIENT_ORG)])  # fmt: skip
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return Issued(cert_pem=csr.public_bytes(serialization.Encoding.PEM), key_pem=_pem(key))


def client_ssl_context(client: Issued, server_ca_pem: bytes) -> ssl.SSLContext:
    """What an agent dials the tunnel with: its certificate, trusting only the hub's CA (no system roots)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cadata=server_ca_pem.decode())
    _load_chain(ctx, client.cert_pem, client.key_pem)
    return ctx


class AgentCa:
    """The deployment's CA; ``load_or_create(data_dir)`` to get it."""

    def __init__(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        self._cert, self._key = cert, key
        self.ca_pem = cert.public_bytes(serialization.Encoding.PEM)
        self._server: Issued | None = None
        self._server_expires = _now()

    @classmethod
    def create(cls) -> AgentCa:
        key = _key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "periscope-agent"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "periscope")])  # fmt: skip
        now = _now()
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .sign(key, hashes.SHA256())
        )  # fmt: skip
        return cls(cert, key)

    @classmethod
    def load_or_create(cls, data_dir: str | Path) -> AgentCa:
        folder = Path(data_dir) / CA_DIR
        cert_path, key_path = folder / "ca.crt", folder / "ca.key"
        if cert_path.exists() and key_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise InvalidRequest(f"{key_path}: the agent CA key must be an EC key")
            return cls(x509.load_pem_x509_certificate(cert_path.read_bytes()), key)
        ca = cls.create()
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_pem(ca._key))
        cert_path.write_bytes(ca.ca_pem)
        return ca

    def _leaf(self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey, *, usage: x509.ObjectIdentifier,
              sans: Sequence[str] = (), lifetime: datetime.timedelta = _LEAF_LIFETIME) -> x509.Certificate:
        now = _now()
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(self._cert.subject).public_key(public_key)
            .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
            .not_valid_before(now - _BACKDATE).not_valid_after(now + lifetime)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )  # fmt: skip
        if sans:
            names: list[x509.GeneralName] = []
            for san in sans:
                try:
                    names.append(x509.IPAddress(ipaddress.ip_address(san)))
                except ValueError:
                    names.append(x509.DNSName(san))
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(self._key, hashes.SHA256())

    def issue_server(self, sans: Sequence[str], *, lifetime: datetime.timedelta = _LEAF_LIFETIME) -> Issued:
        """A listener certificate for ``sans`` (DNS names or IP addresses), with a new key."""
        key = _key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "periscope-server")])
        cert = self._leaf(subject, key.public_key(), usage=ExtendedKeyUsageOID.SERVER_AUTH, sans=sans,
                          lifetime=lifetime)  # fmt: skip
        return Issued(cert_pem=cert.public_bytes(serialization.Encoding.PEM), key_pem=_pem(key))

    def sign_csr(self, csr_pem: bytes, *, cluster: str) -> bytes:
        """An agent certificate for ``cluster`` from its CSR; raises InvalidRequest for a bad CSR."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
        except ValueError as exc:
            raise InvalidRequest("the CSR is not a PEM certificate request") from exc
        if not csr.is_signature_valid:
            raise InvalidRequest("the CSR's signature does not match its key")
        public_key = csr.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise InvalidRequest("the CSR's key must be an EC key")
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cluster),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, _CLIENT_ORG)])  # fmt: skip
        cert = self._leaf(subject, public_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
        return cert.public_bytes(serialization.Encoding.PEM)

    def server_ssl_context(
        self, sans: Sequence[str], *, lifetime: datetime.timedelta = _LEAF_LIFETIME
    ) -> ssl.SSLContext:
        """The listener's context: TLS 1.2+, a client certificate from this CA required."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=self.ca_pem.decode())
        self._server = self.issue_server(sans, lifetime=lifetime)
        self._server_expires = _now() + lifetime
        _load_chain(ctx, self._server.cert_pem, self._server.key_pem)
        self._sans, self._lifetime = list(sans), lifetime
        return ctx

    def renew_if_due(self, ctx: ssl.SSLContext) -> bool:
        """Load a new listener certificate into ``ctx`` once a third of the old one's life is left.

        New handshakes use it; open tunnels keep theirs. True when it renewed.
        """
        if self._server is None or self._server_expires - _now() > self._lifetime / 3:
            return False
        self._server = self.issue_server(self._sans, lifetime=self._lifetime)
        self._server_expires = _now() + self._lifetime
        _load_chain(ctx, self._server.cert_pem, self._server.key_pem)
        return True

    @property
    def server_cert_pem(self) -> bytes:
        if self._server is None:
            raise RuntimeError("no listener certificate issued yet")
        return self._server.cert_pem
