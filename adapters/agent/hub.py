"""The hub's end of agent tunnels: the mutual-TLS WebSocket listener, the live tunnels, the ``agent`` backend.

An agent proves who it is with its client certificate alone: the chain must lead to the
deployment's CA, the certificate must be for client authentication, and its CN must be
a registry entry with ``backend: agent``. Nothing the agent says later (headers, frames)
can change that. A second connection for the same cluster replaces the first (an agent
restarted, or rescheduled), whose open streams fail with the reason.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable

import aiohttp
import anyio
from aiohttp import web
from anyio.abc import TaskStatus
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from periscope_core.domain.clusters import ClusterEntry
from periscope_core.domain.errors import ClusterUnreachable
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.ports.transport import ClusterTransport
from periscope_core.ports.tunnel import TunnelSocket
from periscope_core.protocols.tunnel import MAX_FRAME
from periscope_core.services.tunnel import TunnelSession
from periscope_core.services.tunnel_transport import TunnelTransport

__all__ = ["AgentBackend", "TunnelListener", "Tunnels", "WebSocketTunnel"]

_log = logging.getLogger("periscope.tunnel")
TUNNEL_PATH = "/tunnel"


class WebSocketTunnel(TunnelSocket):
    """An aiohttp WebSocket (either end) as a tunnel socket."""

    def __init__(self, ws: web.WebSocketResponse | aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws

    async def send(self, message: bytes) -> None:
        try:
            await self._ws.send_bytes(message)
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
            raise ClusterUnreachable(f"the tunnel is closed: {exc}") from exc

    async def receive(self) -> bytes | None:
        while True:
            try:
                msg = await self._ws.receive()
            except (ConnectionError, RuntimeError, aiohttp.ClientError):
                return None
            if msg.type is aiohttp.WSMsgType.BINARY:
                data: bytes = msg.data
                return data
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.ERROR):  # fmt: skip
                return None
            # A text frame has no place in the tunnel; a broken peer, not a reason to stop reading.

    async def aclose(self) -> None:
        try:
            await self._ws.close()
        except (ConnectionError, RuntimeError, aiohttp.ClientError):
            pass


class Tunnels:
    """The live tunnel of each agent cluster, by cluster name."""

    def __init__(self) -> None:
        self._sessions: dict[str, TunnelSession] = {}
        self._changed: anyio.Event | None = None

    def get(self, cluster: str) -> TunnelSession:
        session = self._sessions.get(cluster)
        if session is None or session.closed.is_set():
            raise ClusterUnreachable(f"the agent of cluster {cluster!r} is not connected")
        return session

    def connected(self) -> list[str]:
        return sorted(name for name, s in self._sessions.items() if not s.closed.is_set())

    async def attach(self, cluster: str, session: TunnelSession) -> None:
        previous = self._sessions.get(cluster)
        self._sessions[cluster] = session
        self._poke()
        if previous is not None and previous is not session:
            _log.info("tunnel.replaced cluster=%s", cluster)
            await previous.aclose("a newer connection from the same agent replaced this one")

    def detach(self, cluster: str, session: TunnelSession) -> None:
        if self._sessions.get(cluster) is session:
            del self._sessions[cluster]
            self._poke()

    async def wait_connected(self, cluster: str) -> TunnelSession:
        """The cluster's tunnel once it is there (tests, start-up probes)."""
        while True:
            try:
                return self.get(cluster)
            except ClusterUnreachable:
                self._changed = self._changed or anyio.Event()
                await self._changed.wait()

    def _poke(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None


def agent_identity(cert_der: bytes | None) -> str | None:
    """The cluster a verified client certificate stands for: its CN, if it is a client-auth certificate."""
    if not cert_der:
        return None
    cert = x509.load_der_x509_certificate(cert_der)
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        return None
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = str(names[0].value) if names else ""
    return name or None


class TunnelListener:
    """Serves ``wss://host:port/tunnel`` to agents; run it in the server's task group."""

    def __init__(
        self,
        tunnels: Tunnels,
        ssl_context: ssl.SSLContext,
        *,
        is_agent_cluster: Callable[[str], bool],
        host: str = "0.0.0.0",
        port: int = 8443,
        ping_interval: float = 20.0,
        ping_timeout: float = 60.0,
    ) -> None:
        self._tunnels, self._ssl = tunnels, ssl_context
        self._allowed = is_agent_cluster
        self._host, self.port = host, port
        self._ping_interval, self._ping_timeout = ping_interval, ping_timeout

    async def serve(self, *, task_status: TaskStatus[int] = anyio.TASK_STATUS_IGNORED) -> None:
        """Listen until cancelled; reports the bound port (useful with port 0)."""
        app = web.Application()
        app.router.add_get(TUNNEL_PATH, self._tunnel)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self.port, ssl_context=self._ssl)
            await site.start()
            if self.port == 0:  # report the port the OS chose
                self.port = int(runner.addresses[0][1])
            _log.info("tunnel.listening port=%d", self.port)
            task_status.started(self.port)
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                await runner.cleanup()

    async def _tunnel(self, request: web.Request) -> web.StreamResponse:
        ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
        cluster = agent_identity(ssl_object.getpeercert(binary_form=True) if ssl_object else None)
        if cluster is None or not self._allowed(cluster):
            _log.warning("tunnel.refused identity=%s", cluster or "-")
            return web.json_response({"error": "E_AGENT_REFUSED", "message": "no agent cluster of that name"},
                                     status=403)  # fmt: skip
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, autoping=True)
        await ws.prepare(request)
        session = TunnelSession(WebSocketTunnel(ws), "hub", ping_interval=self._ping_interval,
                                ping_timeout=self._ping_timeout)  # fmt: skip
        _log.info("tunnel.connected cluster=%s", cluster)
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(session.run)
                await self._tunnels.attach(cluster, session)
        finally:
            self._tunnels.detach(cluster, session)
            _log.info("tunnel.disconnected cluster=%s reason=%s", cluster, session.end_reason or "closed")
        return ws


class AgentBackend(ClusterBackend):
    """``backend: agent``: the cluster is reached through the tunnel its agent keeps open."""

    name = "agent"

    def __init__(self, tunnels: Tunnels | None = None) -> None:
        self.tunnels = tunnels or Tunnels()

    async def connect(self, entry: ClusterEntry, context: BackendContext) -> ClusterTransport:
        return TunnelTransport(lambda: self.tunnels.get(entry.name))
