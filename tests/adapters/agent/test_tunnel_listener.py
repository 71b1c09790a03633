"""The hub's agent listener over real mutual TLS on loopback: who may hold a tunnel, and what happens to it.

T1-T3 of the attack list: a certificate from another CA, a certificate for a cluster that is
not an agent cluster (or not a client certificate), and a second agent for the same cluster.
"""

from __future__ import annotations

import datetime
import random
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import anyio
import pytest
from cryptography import x509

from periscope_adapters.agent import (
    AgentBackend,
    AgentCa,
    AgentDialer,
    AgentHealth,
    Issued,
    TunnelListener,
    Tunnels,
    backoff_delay,
    client_ssl_context,
    new_csr,
    spki_sha256,
)
from periscope_adapters.sandbox import ADMIN_USER, ApiServer, InProcessTransport
from periscope_core.domain.clusters import ClusterEntry
from periscope_core.domain.errors import ClusterUnreachable
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.ports.backends import BackendContext
from periscope_core.services.kube import KubeClient

NAMESPACES = GroupVersionResource("", "v1", "namespaces")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def identity(ca: AgentCa, cluster: str) -> Issued:
    request = new_csr(cluster)
    return Issued(cert_pem=ca.sign_csr(request.cert_pem, cluster=cluster), key_pem=request.key_pem)


class Hub:
    def __init__(self, ca: AgentCa, port: int, backend: AgentBackend) -> None:
        self.ca, self.port, self.backend = ca, port, backend
        self.url = f"https://127.0.0.1:{port}"

    @property
    def tunnels(self) -> Tunnels:
        return self.backend.tunnels


@asynccontextmanager
async def hub(agent_clusters: frozenset[str] = frozenset({"edge-1"})) -> AsyncIterator[Hub]:
    ca, port = AgentCa.create(), _port()
    backend = AgentBackend(Tunnels())
    listener = TunnelListener(backend.tunnels, ca.server_ssl_context(["127.0.0.1"]), host="127.0.0.1", port=port,
                              is_agent_cluster=agent_clusters.__contains__)  # fmt: skip
    async with anyio.create_task_group() as tg:
        await tg.start(listener.serve)
        yield Hub(ca, port, backend)
        tg.cancel_scope.cancel()


@asynccontextmanager
async def agent(url: str, who: Issued, trusted_ca: bytes, api: ApiServer) -> AsyncIterator[AgentDialer]:
    dialer = AgentDialer(url, client_ssl_context(who, trusted_ca), InProcessTransport(api, ADMIN_USER),
                         backoff_base=0.01, backoff_ceiling=0.05)  # fmt: skip
    async with anyio.create_task_group() as tg:
        await tg.start(dialer.run)
        yield dialer
        tg.cancel_scope.cancel()


async def _tls_refused(url: str, ctx: ssl.SSLContext) -> str:
    """Why a direct dial with ``ctx`` fails (the dialer only logs it)."""
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(url + "/tunnel", ssl=ctx):
                return ""
        except (aiohttp.ClientError, ssl.SSLError, OSError) as exc:
            return str(exc)


async def test_a_registered_agent_serves_its_cluster() -> None:
    api = ApiServer(name="edge-1")
    async with hub() as h, agent(h.url, identity(h.ca, "edge-1"), h.ca.ca_pem, api) as dialer:
        with anyio.fail_after(10):
            await dialer.wait_connected()
        transport = await h.backend.connect(ClusterEntry(name="edge-1", backend="agent"), BackendContext())
        listed = await KubeClient(transport, cluster="edge-1").list(NAMESPACES)
        assert "kube-system" in {n["metadata"]["name"] for n in listed.items}
        assert h.tunnels.connected() == ["edge-1"]


async def test_t1_a_certificate_from_another_ca_gets_no_tunnel() -> None:
    async with hub() as h:
        stranger = AgentCa.create()
        reason = await _tls_refused(h.url, client_ssl_context(identity(stranger, "edge-1"), h.ca.ca_pem))
        assert reason  # the handshake failed
        assert h.tunnels.connected() == []
        # And the agent trusts only the hub's CA: a hub with another CA's certificate is not it.
        assert await _tls_refused(h.url, client_ssl_context(identity(h.ca, "edge-1"), stranger.ca_pem))


async def test_t2_identity_comes_from_the_certificate_and_the_registry() -> None:
    async with hub() as h:
        refused = await _tls_refused(h.url, client_ssl_context(identity(h.ca, "not-an-agent-cluster"), h.ca.ca_pem))
        assert "403" in refused
        server_cert = h.ca.issue_server(["edge-1"])  # right CA, but a server certificate: TLS or the hub refuses
        assert await _tls_refused(h.url, client_ssl_context(server_cert, h.ca.ca_pem))
        assert h.tunnels.connected() == []


async def test_t3_a_second_agent_for_the_same_cluster_replaces_the_first() -> None:
    first_api, second_api = ApiServer(name="first"), ApiServer(name="second")
    second_api.create_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "only-on-second"}})
    async with hub() as h, agent(h.url, identity(h.ca, "edge-1"), h.ca.ca_pem, first_api) as first:
        with anyio.fail_after(10):
            await first.wait_connected()
        before = h.tunnels.get("edge-1")
        async with agent(h.url, identity(h.ca, "edge-1"), h.ca.ca_pem, second_api) as second:
            with anyio.fail_after(10):
                await second.wait_connected()
                while h.tunnels.get("edge-1") is before:  # noqa: ASYNC110 (the hub's state)
                    await anyio.sleep(0.01)
                await before.closed.wait()
            assert "replaced" in before.end_reason
            transport = await h.backend.connect(ClusterEntry(name="edge-1", backend="agent"), BackendContext())
            listed = await KubeClient(transport, cluster="edge-1").list(NAMESPACES)
            assert "only-on-second" in {n["metadata"]["name"] for n in listed.items}


async def test_an_agent_cluster_without_a_tunnel_is_unreachable() -> None:
    async with hub() as h:
        transport = await h.backend.connect(ClusterEntry(name="edge-1", backend="agent"), BackendContext())
        with pytest.raises(ClusterUnreachable, match="not connected"):
            await KubeClient(transport, cluster="edge-1").list(NAMESPACES)


async def test_the_agent_is_ready_only_while_its_tunnel_is_up() -> None:
    api = ApiServer(name="edge-1")
    async with hub() as h:
        dialer = AgentDialer(h.url, client_ssl_context(identity(h.ca, "edge-1"), h.ca.ca_pem),
                             InProcessTransport(api, ADMIN_USER), backoff_base=0.01, backoff_ceiling=0.05)  # fmt: skip
        health = AgentHealth(dialer, host="127.0.0.1", port=0)
        async with anyio.create_task_group() as tg, aiohttp.ClientSession() as http:
            port = await tg.start(health.serve)
            probe = f"http://127.0.0.1:{port}"
            async with http.get(f"{probe}/readyz") as before, http.get(f"{probe}/healthz") as alive:
                assert (before.status, alive.status) == (503, 200)
            await tg.start(dialer.run)
            with anyio.fail_after(10):
                await dialer.wait_connected()
            async with http.get(f"{probe}/readyz") as ready:
                assert (ready.status, (await ready.json())["tunnel"]) == (200, "connected")
            tg.cancel_scope.cancel()


def test_the_listener_certificate_is_renewed_before_it_expires() -> None:
    ca = AgentCa.create()
    ctx = ca.server_ssl_context(["tunnel.example.com"], lifetime=datetime.timedelta(hours=1))
    first = ca.server_cert_pem
    assert not ca.renew_if_due(ctx)  # a whole hour left
    ca._server_expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=10)
    assert ca.renew_if_due(ctx)
    renewed = x509.load_pem_x509_certificate(ca.server_cert_pem)
    assert ca.server_cert_pem != first
    assert renewed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["tunnel.example.com"]  # fmt: skip
    assert spki_sha256(first) != spki_sha256(ca.server_cert_pem)  # a new key each time


def test_backoff_is_jittered_and_bounded() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(attempt, base=1.0, ceiling=30.0, rng=rng) for attempt in range(12)]
    assert all(0 <= d <= min(30.0, 2**a) for a, d in enumerate(delays))
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered, not lock-step
