"""Kubernetes calls through an agent tunnel joined in memory: a hub session, an agent session relaying to a
sandbox apiserver (in process), and what each side sees when the other misbehaves or goes away."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest

from periscope_adapters.sandbox import ADMIN_USER, ApiServer, InProcessTransport
from periscope_adapters.sandbox._manifests import container, namespace, pod
from periscope_core.domain.errors import ClusterUnreachable, NotFound
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.protocols.tunnel import FrameType, Open
from periscope_core.services.kube import KubeClient
from periscope_core.services.tunnel import StreamClosed, TunnelSession, TunnelStream
from periscope_core.services.tunnel_transport import TunnelTransport, relay
from periscope_core.testing.tunnel import MemoryTunnelSocket, memory_tunnel_pair

PODS = GroupVersionResource("", "v1", "pods")


class Joined:
    def __init__(self, hub: TunnelSession, agent: TunnelSession, hub_socket: MemoryTunnelSocket) -> None:
        self.hub, self.agent, self.hub_socket = hub, agent, hub_socket
        self.kube = KubeClient(TunnelTransport(lambda: hub), cluster="c1")


@asynccontextmanager
async def joined(api: ApiServer, **session: float) -> AsyncIterator[Joined]:
    hub_socket, agent_socket = memory_tunnel_pair()
    upstream = InProcessTransport(api, ADMIN_USER)
    hub = TunnelSession(hub_socket, "hub", **session)
    agent = TunnelSession(agent_socket, "agent", on_open=lambda stream, opening: relay(upstream, stream, opening),
                          **session)  # fmt: skip
    async with anyio.create_task_group() as tg:
        await tg.start(hub.run)
        await tg.start(agent.run)
        yield Joined(hub, agent, hub_socket)
        tg.cancel_scope.cancel()


@pytest.fixture
def api() -> ApiServer:
    api = ApiServer(name="c1")
    api.create_object(namespace("shop"))
    for n in range(3):
        api.create_object(pod("shop", f"web-{n}", [container("app", "nginx:1.27")]))
    return api


async def test_lists_gets_and_errors_cross_the_tunnel(api: ApiServer) -> None:
    async with joined(api) as tunnel:
        pods = await tunnel.kube.list(PODS, namespace="shop")
        assert sorted(p["metadata"]["name"] for p in pods.items) == ["web-0", "web-1", "web-2"]
        with pytest.raises(NotFound):
            await tunnel.kube.get(PODS, "nope", namespace="shop")
        created = await tunnel.kube.create(PODS, pod("shop", "from-hub", [container("app", "nginx:1.27")]),
                                           namespace="shop")  # fmt: skip
        assert created["metadata"]["name"] == "from-hub"
        assert tunnel.hub.codec.open_streams == tunnel.agent.codec.open_streams == 0


async def test_a_large_answer_streams_through_the_windows(api: ApiServer) -> None:
    for n in range(400):  # a list well beyond one window (256 KiB)
        api.create_object(pod("shop", f"bulk-{n:03d}", [container("app", "nginx:1.27", env={"PAD": "x" * 1000})]))
    async with joined(api) as tunnel:
        pods = await tunnel.kube.list(PODS, namespace="shop")
        assert len(pods.items) == 403
        windows = [m for m in tunnel.hub_socket.sent if m[0] == FrameType.WINDOW]
        assert windows  # the hub granted credit back as it read


async def test_the_hub_s_credentials_never_reach_the_apiserver(api: ApiServer) -> None:
    async with joined(api) as tunnel:
        stream = await tunnel.hub.request(Open(
            method="POST", path="/apis/authentication.k8s.io/v1/selfsubjectreviews", has_body=True,
            headers=[("Authorization", "Bearer stolen"), ("Impersonate-User", "alice"),
                     ("X-Forwarded-For", "10.0.0.1"), ("Content-Type", "application/json")],
        ), b'{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}')  # fmt: skip
        assert (await stream.head()).status == 201
        body = b""
        while (chunk := await stream.receive()) is not None:
            body += chunk
        # The agent's own identity made the call, impersonating as asked; the forged token went nowhere.
        assert b'"username":"alice"' in body


async def test_a_vanished_agent_fails_open_streams_and_new_requests(api: ApiServer) -> None:
    api.faults.delay(r"/api/v1/namespaces/shop/pods", 30)
    async with joined(api) as tunnel:
        async with anyio.create_task_group() as tg:

            async def slow_list() -> None:
                with pytest.raises(ClusterUnreachable):
                    await tunnel.kube.list(PODS, namespace="shop")

            tg.start_soon(slow_list)
            await anyio.wait_all_tasks_blocked()
            await tunnel.agent.aclose("the agent pod was deleted")
        with pytest.raises(ClusterUnreachable):
            await tunnel.kube.list(PODS, namespace="shop")


async def test_an_agent_that_stops_answering_is_declared_dead(api: ApiServer) -> None:
    hub_socket, _agent_socket = memory_tunnel_pair()  # nobody reads or answers on the agent's end
    hub = TunnelSession(hub_socket, "hub", ping_interval=0.05, ping_timeout=0.2)
    with anyio.fail_after(5):
        await hub.run()
    assert "did not answer" in hub.end_reason
    with pytest.raises(ClusterUnreachable):
        await hub.request(Open(method="GET", path="/api"))


async def test_a_reset_reaches_the_agent_s_handler() -> None:
    hub_socket, agent_socket = memory_tunnel_pair()
    seen: list[str] = []
    handled = anyio.Event()

    async def handler(stream: TunnelStream, opening: Open) -> None:
        try:
            await stream.receive()
        except StreamClosed as exc:
            seen.append(exc.reason)
        handled.set()

    hub, agent = TunnelSession(hub_socket, "hub"), TunnelSession(agent_socket, "agent", on_open=handler)
    async with anyio.create_task_group() as tg:
        await tg.start(hub.run)
        await tg.start(agent.run)
        stream = await hub.request(Open(method="GET", path="/exec", subprotocols=["v5.channel.k8s.io"]))
        await anyio.wait_all_tasks_blocked()
        await stream.reset("the browser left")
        with anyio.fail_after(2):
            await handled.wait()
        tg.cancel_scope.cancel()
    assert seen == ["the stream was reset: the browser left"]
