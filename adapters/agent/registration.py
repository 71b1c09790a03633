"""An agent's first boot: trade the bootstrap token for a client certificate, and keep it.

The agent makes a key and a CSR, and POSTs them with the token to the console's
``/api/agents/register`` (30 s, a response of at most 256 KiB). The registration
endpoint is trusted through the system roots (topologies A and B), or, with
``server_ca_hash``, through an SPKI pin of the certificate it presents (topology C,
kubeadm's pattern): the chain is not checked then, the pin is, in constant time,
*before* a byte of the request (the token) is written to that connection. That is why
this speaks HTTP/1.1 itself (h11) over a TLS stream it opened: the check sits between
the handshake and the request, where an HTTP client library offers no hook. The pin
is only for this call; the tunnel trusts the CA bundle the answer carries, and nothing
else.

The state directory holds ``client.crt``, ``client.key`` (owner only) and
``server-ca.crt``; once it exists the agent never registers again.
"""

from __future__ import annotations

import hmac
import logging
import os
import ssl
import tempfile
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import anyio
import h11
import msgspec
from anyio.abc import ByteStream
from anyio.streams.tls import TLSAttribute

from periscope_adapters.agent.pki import Issued, client_ssl_context, new_csr, spki_sha256
from periscope_core.domain.errors import InvalidRequest, PeriscopeError

__all__ = ["AgentState", "RegistrationFailed", "load_state", "register", "save_state"]

_log = logging.getLogger("periscope.agent")
REGISTER_PATH = "/api/agents/register"
_MAX_RESPONSE = 256 * 1024
_CERT, _KEY, _CA = "client.crt", "client.key", "server-ca.crt"


class RegistrationFailed(PeriscopeError):
    """The console could not be reached, could not be trusted, or refused the registration."""

    code = "E_REGISTRATION_FAILED"
    http_status = 502


class AgentState(msgspec.Struct, frozen=True):
    """The agent's long-lived identity and the one root it trusts for the tunnel (PEM)."""

    client_cert_pem: bytes
    client_key_pem: bytes
    server_ca_pem: bytes

    def ssl_context(self) -> ssl.SSLContext:
        return client_ssl_context(Issued(cert_pem=self.client_cert_pem, key_pem=self.client_key_pem),
                                  self.server_ca_pem)  # fmt: skip


class _Registration(msgspec.Struct, frozen=True):
    certificate: str
    caBundle: str


class _Error(msgspec.Struct, frozen=True):
    error: str = ""
    message: str = ""


def load_state(directory: Path) -> AgentState | None:
    """The persisted state, or None on first boot (no certificate yet)."""
    if not (directory / _CERT).exists():
        return None
    try:
        return AgentState(client_cert_pem=(directory / _CERT).read_bytes(),
                          client_key_pem=(directory / _KEY).read_bytes(),
                          server_ca_pem=(directory / _CA).read_bytes())  # fmt: skip
    except OSError as exc:
        raise InvalidRequest(f"the agent state in {directory} is unreadable or incomplete ({exc.strerror or exc}); "
                             "delete it and register again with a fresh token") from exc  # fmt: skip


def _write(path: Path, data: bytes, mode: int) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def save_state(directory: Path, state: AgentState) -> None:
    """Persist ``state``; the certificate goes last, so a state that loads is a whole one."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write(directory / _KEY, state.client_key_pem, 0o600)
    _write(directory / _CA, state.server_ca_pem, 0o644)
    _write(directory / _CERT, state.client_cert_pem, 0o644)


async def _connect(url: SplitResult, server_ca_hash: str | None) -> ByteStream:
    host = url.hostname or ""
    if url.scheme == "http":
        return await anyio.connect_tcp(host, url.port or 80)
    ctx = ssl.create_default_context()
    if server_ca_hash is not None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    stream = await anyio.connect_tcp(host, url.port or 443, tls=True, ssl_context=ctx, tls_hostname=host)
    if server_ca_hash is not None:
        der = stream.extra(TLSAttribute.peer_certificate_binary) or b""
        presented = spki_sha256(ssl.DER_cert_to_PEM_cert(der).encode()) if der else "nothing"
        if not hmac.compare_digest(presented.encode(), server_ca_hash.encode()):
            await anyio.aclose_forcefully(stream)
            raise RegistrationFailed(f"SPKI pin mismatch: server presented {presented}, expected {server_ca_hash}")
    return stream


async def _post(stream: ByteStream, url: SplitResult, body: bytes) -> tuple[int, bytes]:
    """One HTTP/1.1 POST of ``body`` as JSON; the status and the (capped) response body."""
    conn = h11.Connection(h11.CLIENT)
    headers = [("Host", url.netloc), ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
               ("Connection", "close"), ("User-Agent", "periscope-agent")]  # fmt: skip
    request = h11.Request(method="POST", target=(url.path.rstrip("/") + REGISTER_PATH), headers=headers)
    await stream.send(b"".join(conn.send(event) or b"" for event in (request, h11.Data(data=body), h11.EndOfMessage())))
    status, size = 0, 0
    chunks: list[bytes] = []
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            try:
                conn.receive_data(await stream.receive())
            except anyio.EndOfStream:
                conn.receive_data(b"")
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.Data):
            size += len(event.data)
            if size > _MAX_RESPONSE:
                raise RegistrationFailed(f"the registration answer is larger than {_MAX_RESPONSE // 1024} KiB")
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            return status, b"".join(chunks)
        elif isinstance(event, h11.ConnectionClosed):
            raise RegistrationFailed("the console closed the connection before answering")


async def register(
    registration_url: str, token: str, cluster: str, *, server_ca_hash: str | None = None, timeout: float = 30.0
) -> AgentState:
    """Register ``cluster`` at the console behind ``registration_url`` (https, or http on a trusted network).

    Raises RegistrationFailed when the console is unreachable, untrusted (chain or pin)
    or refuses (the message carries its error code: an unknown, spent, expired or
    mismatched token).
    """
    url = urlsplit(registration_url)
    if url.scheme not in ("https", "http") or not url.hostname:
        raise InvalidRequest(f"the registration URL must be https://host[:port], not {registration_url!r}")
    if url.scheme == "http":
        _log.warning("registering over plain http: the bootstrap token crosses the network unencrypted")
    request = new_csr(cluster)
    body = msgspec.json.encode({"token": token, "cluster": cluster, "csr": request.cert_pem.decode()})
    try:
        with anyio.fail_after(timeout):
            stream = await _connect(url, server_ca_hash)
            try:
                status, answer = await _post(stream, url, body)
            finally:
                # The answer is complete (h11 counted it): no TLS goodbye to wait for.
                await anyio.aclose_forcefully(stream)
    except TimeoutError as exc:
        raise RegistrationFailed(f"no answer from {registration_url} within {timeout:g} s") from exc
    except (OSError, anyio.BrokenResourceError, h11.ProtocolError) as exc:
        raise RegistrationFailed(f"cannot register at {registration_url}: {exc}") from exc
    if status != 200:
        try:
            error = msgspec.json.decode(answer, type=_Error)
        except msgspec.DecodeError:
            error = _Error(message=answer[:200].decode("utf-8", "replace"))
        raise RegistrationFailed(f"registration rejected (HTTP {status}): {error.error or '-'}: {error.message}")
    try:
        issued = msgspec.json.decode(answer, type=_Registration)
    except msgspec.DecodeError as exc:
        raise RegistrationFailed(f"the console's registration answer is not what an agent expects: {exc}") from exc
    return AgentState(client_cert_pem=issued.certificate.encode(), client_key_pem=request.key_pem,
                      server_ca_pem=issued.caBundle.encode())  # fmt: skip
