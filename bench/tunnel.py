"""What the agent tunnel costs: a large list and a burst of small reads through it, against the same calls direct.

One sandbox apiserver (in process) holds the pods. Direct: the sandbox's in-process
transport. Memory tunnel: the same transport behind a hub and an agent session joined
in memory (the framing, flow control and relay alone). Real tunnel: the hub's mutual-TLS
listener and the agent's dialer on loopback (TLS and WebSocket on top). Rounds alternate
the three; medians are reported, as ratios against direct.

    .venv/bin/python bench/tunnel.py [--pods 2000] [--gets 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial

import anyio

from periscope_adapters.agent import (
    AgentBackend,
    AgentCa,
    AgentDialer,
    Issued,
    TunnelListener,
    Tunnels,
    client_ssl_context,
    new_csr,
)
from periscope_adapters.sandbox import ADMIN_USER, ApiServer, InProcessTransport
from periscope_adapters.sandbox._manifests import container, namespace, pod
from periscope_core.domain.clusters import ClusterEntry
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.ports.backends import BackendContext
from periscope_core.ports.transport import ClusterTransport
from periscope_core.services.kube import KubeClient
from periscope_core.services.tunnel import TunnelSession
from periscope_core.services.tunnel_transport import TunnelTransport, relay
from periscope_core.testing.tunnel import memory_tunnel_pair

PODS = GroupVersionResource("", "v1", "pods")
Way = Callable[[ApiServer], AbstractAsyncContextManager[ClusterTransport]]


@asynccontextmanager
async def direct(api: ApiServer) -> AsyncIterator[ClusterTransport]:
    yield InProcessTransport(api, ADMIN_USER)


@asynccontextmanager
async def memory_tunnel(api: ApiServer) -> AsyncIterator[ClusterTransport]:
    hub_socket, agent_socket = memory_tunnel_pair()
    hub = TunnelSession(hub_socket, "hub")
    agent = TunnelSession(agent_socket, "agent", on_open=partial(relay, InProcessTransport(api, ADMIN_USER)))
    async with anyio.create_task_group() as tg:
        await tg.start(hub.run)
        await tg.start(agent.run)
        yield TunnelTransport(lambda: hub)
        tg.cancel_scope.cancel()


@asynccontextmanager
async def mtls_tunnel(api: ApiServer) -> AsyncIterator[ClusterTransport]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    ca, backend = AgentCa.create(), AgentBackend(Tunnels())
    listener = TunnelListener(backend.tunnels, ca.server_ssl_context(["127.0.0.1"]), host="127.0.0.1", port=port,
                              is_agent_cluster=lambda name: name == "bench")  # fmt: skip
    request = new_csr("bench")
    who = Issued(cert_pem=ca.sign_csr(request.cert_pem, cluster="bench"), key_pem=request.key_pem)
    dialer = AgentDialer(f"https://127.0.0.1:{port}", client_ssl_context(who, ca.ca_pem),
                         InProcessTransport(api, ADMIN_USER))  # fmt: skip
    async with anyio.create_task_group() as tg:
        await tg.start(listener.serve)
        await tg.start(dialer.run)
        await dialer.wait_connected()
        yield await backend.connect(ClusterEntry(name="bench", backend="agent"), BackendContext())
        tg.cancel_scope.cancel()


async def one_round(kube: KubeClient, args: argparse.Namespace) -> tuple[float, int, float]:
    """Seconds for the big list, its size in bytes, and seconds for the burst of GETs."""
    started = time.perf_counter()
    body = await kube.list_raw(PODS, namespace="shop")
    listed = time.perf_counter() - started
    started = time.perf_counter()
    for n in range(args.gets):
        await kube.get(PODS, f"web-{n % args.pods:05d}", namespace="shop")
    return listed, len(body), time.perf_counter() - started


async def measure(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    api = ApiServer(name="bench")
    api.create_object(namespace("shop"))
    for n in range(args.pods):
        api.create_object(pod("shop", f"web-{n:05d}", [container("app", "nginx:1.27", env={"PAD": "x" * 600})]))
    ways: dict[str, Way] = {"direct": direct, "memory tunnel": memory_tunnel, "mTLS tunnel": mtls_tunnel}
    rounds: dict[str, list[tuple[float, int, float]]] = {way: [] for way in ways}
    for _ in range(args.rounds):
        for way, opener in ways.items():
            async with opener(api) as transport:
                rounds[way].append(await one_round(KubeClient(transport, cluster="bench"), args))
    return {
        way: {"list_s": statistics.median(r[0] for r in runs), "bytes": float(runs[0][1]),
              "get_ms": statistics.median(r[2] for r in runs) * 1000 / args.gets}
        for way, runs in rounds.items()
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--gets", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    result = anyio.run(measure, args, backend_options={"use_uvloop": True})
    base = result["direct"]
    print(f"{args.pods} pods listed in one call ({result['direct']['bytes'] / 1e6:.1f} MB); {args.gets} sequential "
          f"GETs; {args.rounds} rounds; 'added' is against direct")  # fmt: skip
    print(f"{'':18}{'list (ms)':>10}{'added':>8}{'MB/s':>8}{'GET (ms)':>10}{'added':>8}")
    for way, figures in result.items():
        list_ms, get_ms = figures["list_s"] * 1000, figures["get_ms"]
        rate = figures["bytes"] / figures["list_s"] / 1e6
        print(f"{way:18}{list_ms:>10.2f}{list_ms - base['list_s'] * 1000:>+8.2f}{rate:>8.0f}"
              f"{get_ms:>10.3f}{get_ms - base['get_ms']:>+8.3f}")  # fmt: skip

    return 0


if __name__ == "__main__":
    sys.exit(main())
