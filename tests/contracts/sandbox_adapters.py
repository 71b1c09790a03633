"""Sandbox clusters and the files each adapter needs to reach them (kubeconfigs, tokens, plugins)."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import yaml

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
from periscope_adapters.kube import InClusterBackend, KubeconfigBackend
from periscope_adapters.sandbox import ADMIN_USER, ClusterSpec, SandboxCluster, SandboxFleet, Seeder
from periscope_core.domain.clusters import ClusterEntry
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.ports.transport import ClusterTransport
from periscope_core.services.tunnel import TunnelSession
from periscope_core.services.tunnel_transport import TunnelTransport, relay
from periscope_core.testing.contracts import PodRef
from periscope_core.testing.tunnel import memory_tunnel_pair

T = TypeVar("T")

ADAPTERS = ("in-process", "tunnel:memory", "kubeconfig:token", "kubeconfig:client-cert", "kubeconfig:exec-plugin",
            "in-cluster", "eks", "agent")
LOCAL = ("in-process", "tunnel:memory")
"""Adapters that reach a sandbox on the test's own loop (the others reach the served fleet over TLS)."""
WORKER = PodRef("contract-pods", "worker", "main")

# An exec credential plugin (sh starts far faster than python): prints the token held in
# the file named by $1, valid until $2 (an RFC 3339 time) when given.
PLUGIN = r"""#!/bin/sh
expiry=${2:+,\"expirationTimestamp\":\"$2\"}
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"%s}}' \
  "$(cat "$1")" "$expiry"
"""


def _seed(seed: Seeder) -> None:
    seed.create({
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": "contract-node"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}],
                   "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}},
    })
    seed.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": WORKER.namespace}})
    seed.create({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": WORKER.name, "namespace": WORKER.namespace},
        "spec": {"containers": [{"name": WORKER.container, "image": "busybox:1.36", "command": ["sleep", "1d"]}]},
    })


SPEC = ClusterSpec("contract", _seed)


async def _hold(fleet: AbstractAsyncContextManager[SandboxFleet], ready: Callable[[SandboxFleet], None],
                stop: asyncio.Event) -> None:
    """Keep a fleet's task group inside one task, however the fixture machinery runs."""
    async with fleet as running:
        ready(running)
        await stop.wait()


@asynccontextmanager
async def local_fleet() -> AsyncIterator[SandboxFleet]:
    """A plain (no TLS) fleet on the current loop, for the in-process adapter."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[SandboxFleet] = loop.create_future()
    stop = asyncio.Event()
    task = asyncio.create_task(_hold(SandboxFleet.start([SPEC], tls=False, churn=False), ready.set_result, stop))
    await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # startup failed: raise its error
    try:
        yield ready.result()
    finally:
        stop.set()
        await task


@asynccontextmanager
async def tunnelled(upstream: ClusterTransport) -> AsyncIterator[ClusterTransport]:
    """``upstream`` behind an agent tunnel joined in memory: the hub's transport, an agent relaying to it."""
    hub_socket, agent_socket = memory_tunnel_pair()
    hub = TunnelSession(hub_socket, "hub")
    agent = TunnelSession(agent_socket, "agent", on_open=partial(relay, upstream))
    # Plain tasks: a task group cannot span a fixture's setup and teardown.
    tasks = [asyncio.create_task(hub.run()), asyncio.create_task(agent.run())]
    try:
        yield TunnelTransport(lambda: hub)
    finally:
        await hub.aclose()
        await agent.aclose()
        await asyncio.gather(*tasks, return_exceptions=True)


@asynccontextmanager
async def over_agent_tunnel(upstream: ClusterTransport, cluster: str = "contract") -> AsyncIterator[ClusterTransport]:
    """``upstream`` behind a real agent: mutual TLS on loopback, the hub's listener and the agent's dialer."""
    ca = AgentCa.create()
    backend = AgentBackend(Tunnels())
    port = closed_port()
    listener = TunnelListener(backend.tunnels, ca.server_ssl_context(["127.0.0.1"]), host="127.0.0.1", port=port,
                              is_agent_cluster=lambda name: name == cluster)  # fmt: skip
    request = new_csr(cluster)
    identity = Issued(cert_pem=ca.sign_csr(request.cert_pem, cluster=cluster), key_pem=request.key_pem)
    dialer = AgentDialer(f"https://127.0.0.1:{port}", client_ssl_context(identity, ca.ca_pem), upstream,
                         backoff_base=0.02, backoff_ceiling=0.1)  # fmt: skip
    tasks = [asyncio.create_task(listener.serve()), asyncio.create_task(dialer.run())]
    try:
        await asyncio.wait_for(backend.tunnels.wait_connected(cluster), 10)
        yield await backend.connect(ClusterEntry(name=cluster, backend="agent"), BackendContext())
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await upstream.aclose()


class ServedFleet:
    """A TLS sandbox fleet running in a thread of its own until ``stop``."""

    def __init__(self) -> None:
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="contract sandbox", daemon=True)
        self._thread.start()
        if not self._started.wait(30) or self._error is not None:
            raise RuntimeError("the sandbox fleet did not start") from self._error

    def _run(self) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await _hold(SandboxFleet.start([SPEC], churn=False), self._ready, self._stop)

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported by __init__ if it happens during start
            self._error = exc
            self._started.set()

    def _ready(self, fleet: SandboxFleet) -> None:
        self.fleet = fleet
        self.cluster = fleet.clusters[SPEC.name]
        self._started.set()

    async def call(self, action: Callable[[], T]) -> T:
        """Run ``action`` on the fleet's loop, where the engine lives."""

        async def run() -> T:
            return action()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(run(), self.loop))

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_kubeconfig(path: Path, *, server: str, ca_pem: bytes, user: dict[str, Any]) -> Path:
    document = {
        "apiVersion": "v1", "kind": "Config", "current-context": "contract",
        "clusters": [{"name": "contract", "cluster": {
            "server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": "contract-user", "user": user}],
        "contexts": [{"name": "contract", "context": {"cluster": "contract", "user": "contract-user"}}],
    }
    path.write_text(yaml.safe_dump(document))
    return path


def exec_user(token_file: Path, expires: str = "") -> dict[str, Any]:
    plugin = token_file.parent / "credential-plugin"
    plugin.write_text(PLUGIN)
    plugin.chmod(0o755)
    args = [str(token_file), *([expires] if expires else [])]
    return {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin), "args": args,
                     "interactiveMode": "Never"}}


def write_token(path: Path, token: str) -> None:
    """Replace the file atomically, as the kubelet swaps a projected token."""
    staged = path.with_suffix(".new")
    staged.write_text(token)
    os.replace(staged, path)


class Connection(NamedTuple):
    """A backend and the registry entry it connects, ready to ``connect()``."""

    backend: ClusterBackend
    entry: ClusterEntry
    context: BackendContext = BackendContext()

    async def connect(self) -> ClusterTransport:
        return await self.backend.connect(self.entry, self.context)


def kubeconfig_connection(path: Path) -> Connection:
    entry = ClusterEntry(name="contract", backend="kubeconfig", kubeconfigPath=path.name, kubeconfigContext="contract")
    return Connection(KubeconfigBackend(), entry, BackendContext(registry_dir=str(path.parent)))


def in_cluster_connection(workdir: Path, *, server: str, ca_pem: bytes, token: str) -> Connection:
    """Service-account files in ``workdir`` and the pod environment, aimed at ``server``."""
    host, _, port = server.removeprefix("https://").rpartition(":")
    (workdir / "ca.crt").write_bytes(ca_pem)
    write_token(workdir / "token", token)
    backend = InClusterBackend(
        token_path=str(workdir / "token"), ca_path=str(workdir / "ca.crt"), recheck_seconds=0,
        environ={"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port},
    )
    return Connection(backend, ClusterEntry(name="contract", backend="in-cluster"))


class EksAccount(NamedTuple):
    """An AWS account on loopback: moto's EKS (where clusters are registered) and moto's STS."""

    eks_url: str
    sts_url: str
    region: str
    account: str

    def register(self, name: str, *, server: str, ca_pem: bytes) -> str:
        """Make ``name`` an EKS cluster served at ``server``; its ARN."""
        from moto.eks.models import eks_backends

        clusters = eks_backends[self.account][self.region].clusters
        if name not in clusters:
            import boto3

            boto3.client("eks", region_name=self.region, endpoint_url=self.eks_url, aws_access_key_id=KEY_ID,
                         aws_secret_access_key=KEY_SECRET).create_cluster(
                name=name, roleArn=f"arn:aws:iam::{self.account}:role/eks", resourcesVpcConfig={})  # fmt: skip
        # What EKS reports is where the cluster is: here, a sandbox apiserver.
        clusters[name].endpoint = server
        clusters[name].certificate_authority = {"data": base64.b64encode(ca_pem).decode()}
        return f"arn:aws:eks:{self.region}:{self.account}:cluster/{name}"

    def backend(self) -> ClusterBackend:
        from aiobotocore.session import AioSession

        from periscope_adapters.eks import EksBackend

        session = AioSession()
        session.set_credentials(KEY_ID, KEY_SECRET)
        return EksBackend(eks_endpoint_url=self.eks_url, sts_endpoint_url=self.sts_url, session=session)


KEY_ID, KEY_SECRET = "AKIAPERISCOPECONTRACT", "contract-secret"


def eks_connection(account: EksAccount, served: ServedFleet, server: str) -> Connection:
    """The eks backend, as the account's key, to a cluster EKS says is at ``server``."""
    name = "contract" if server == served.cluster.url else "contract-elsewhere"
    arn = account.register(name, server=server, ca_pem=served.fleet.ca.ca_pem)
    return Connection(account.backend(), ClusterEntry(name="contract", backend="eks", arn=arn, region=account.region))


def socket_connection(
    adapter: str, served: ServedFleet, workdir: Path, server: str, account: EksAccount | None = None
) -> Connection:
    """The named socket adapter, authenticated as the sandbox admin, aimed at ``server``."""
    workdir.mkdir(parents=True, exist_ok=True)
    ca_pem, token = served.fleet.ca.ca_pem, served.cluster.admin_token
    if adapter == "eks":
        assert account is not None, "the eks adapter needs an AWS account"
        return eks_connection(account, served, server)
    if adapter == "in-cluster":
        return in_cluster_connection(workdir, server=server, ca_pem=ca_pem, token=token)
    if adapter == "kubeconfig:token":
        user: dict[str, Any] = {"token": token}
    elif adapter == "kubeconfig:client-cert":
        pair = served.fleet.ca.client(ADMIN_USER.name, ADMIN_USER.groups)
        user = {"client-certificate-data": base64.b64encode(pair.cert_pem).decode(),
                "client-key-data": base64.b64encode(pair.key_pem).decode()}
    else:
        (workdir / "plugin-token").write_text(token)
        user = exec_user(workdir / "plugin-token")
    return kubeconfig_connection(write_kubeconfig(workdir / "kubeconfig", server=server, ca_pem=ca_pem, user=user))


class ServerHooks:
    """The contract's optional server hooks, run on the loop that owns the engine."""

    def __init__(self, cluster: SandboxCluster, run: Callable[[Callable[[], None]], Awaitable[None]]) -> None:
        self._cluster, self._run = cluster, run

    async def write_log_line(self, pod: PodRef, line: str) -> None:
        api = self._cluster.api
        await self._run(lambda: api.append_log(pod.namespace, pod.name, pod.container, line))

    async def expire_history(self) -> None:
        await self._run(self._cluster.api.faults.expire_history)
