"""Every ClusterTransport adapter, pointed at a sandbox cluster, for the contract suite.

The eks adapter finds the cluster through moto's EKS and authenticates with STS tokens
the served cluster checks against moto's STS.

The socket adapters share one TLS sandbox served from its own thread and event loop
(started once per session, like an apiserver in another process); each test still
builds its own transport. The in-process adapter gets a fresh plain sandbox per test,
since it calls the engine on the test's own loop.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from periscope_adapters.sandbox import ADMIN_USER, AwsIamAuthenticator, SandboxCluster
from periscope_core.ports.transport import ClusterTransport

from .sandbox_adapters import (
    ADAPTERS,
    KEY_ID,
    KEY_SECRET,
    LOCAL,
    SPEC,
    EksAccount,
    ServedFleet,
    ServerHooks,
    closed_port,
    local_fleet,
    over_agent_tunnel,
    socket_connection,
    tunnelled,
)


@pytest.fixture(scope="session")
def served() -> Iterator[ServedFleet]:
    fleet = ServedFleet()
    yield fleet
    fleet.stop()


@pytest.fixture(scope="session")
def eks_account(served: ServedFleet) -> Iterator[EksAccount]:
    """moto's EKS and STS on loopback, and the served cluster trusting that STS as EKS trusts AWS's.

    STS runs as its own app: moto's multi-service router sends an unsigned GET (the
    presigned URL inside a token) to S3.
    """
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    from moto.moto_server.werkzeug_app import create_backend_app
    from werkzeug.serving import make_server

    eks = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    eks.start()
    sts = make_server("127.0.0.1", 0, create_backend_app("sts"), threaded=True)
    threading.Thread(target=sts.serve_forever, name="moto sts", daemon=True).start()
    host, port = eks.get_host_and_port()
    account = EksAccount(eks_url=f"http://{host}:{port}", sts_url=f"http://127.0.0.1:{sts.server_port}",
                         region="us-east-1", account="123456789012")  # fmt: skip
    import boto3

    caller = boto3.client("sts", region_name=account.region, endpoint_url=account.sts_url, aws_access_key_id=KEY_ID,
                          aws_secret_access_key=KEY_SECRET).get_caller_identity()["Arn"]  # fmt: skip
    server = served.cluster.server
    server.token_webhook = AwsIamAuthenticator(cluster_name="contract", sts_endpoint=account.sts_url,
                                               access_entries={caller: ADMIN_USER})  # fmt: skip
    try:
        yield account
    finally:
        server.token_webhook = None
        sts.shutdown()
        eks.stop()


def _account(adapter: str, request: pytest.FixtureRequest) -> EksAccount | None:
    return request.getfixturevalue("eks_account") if adapter == "eks" else None  # type: ignore[no-any-return]


@pytest.fixture
async def local_cluster() -> AsyncIterator[SandboxCluster]:
    async with local_fleet() as fleet:
        yield fleet.clusters[SPEC.name]


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox(adapter: str, request: pytest.FixtureRequest) -> SandboxCluster | ServedFleet:
    """The in-process adapter's own cluster, or the served fleet the socket adapters reach."""
    return request.getfixturevalue("local_cluster" if adapter in LOCAL else "served")  # type: ignore[no-any-return]


@pytest.fixture
def server_hooks(sandbox: SandboxCluster | ServedFleet) -> ServerHooks:
    if isinstance(sandbox, ServedFleet):
        return ServerHooks(sandbox.cluster, sandbox.call)

    async def direct(action: Callable[[], None]) -> None:
        action()

    return ServerHooks(sandbox, direct)


@pytest.fixture
async def transport(
    adapter: str, sandbox: SandboxCluster | ServedFleet, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[ClusterTransport]:
    async with _reaching(adapter, sandbox, tmp_path / "live", request, dead=False) as made:
        yield made


@asynccontextmanager
async def _reaching(
    adapter: str, sandbox: SandboxCluster | ServedFleet, workdir: Path, request: pytest.FixtureRequest, *, dead: bool
) -> AsyncIterator[ClusterTransport]:
    """The adapter's transport to the sandbox, or (``dead``) to a port where nothing listens."""
    if isinstance(sandbox, ServedFleet):
        server = f"https://127.0.0.1:{closed_port()}" if dead else sandbox.cluster.url
        if adapter == "agent":  # the agent reaches the apiserver; the hub reaches the agent
            upstream = await socket_connection("kubeconfig:token", sandbox, workdir, server).connect()
            async with over_agent_tunnel(upstream) as through:
                yield through
            return
        made = await socket_connection(adapter, sandbox, workdir, server, _account(adapter, request)).connect()
    else:
        made = sandbox.transport(ADMIN_USER)
        if dead:
            await made.aclose()  # the in-process equivalent of a closed port
        if adapter == "tunnel:memory":
            async with tunnelled(made) as through:
                yield through
            return
    try:
        yield made
    finally:
        await made.aclose()


@pytest.fixture
async def unreachable_transport(
    adapter: str, sandbox: SandboxCluster | ServedFleet, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[ClusterTransport]:
    async with _reaching(adapter, sandbox, tmp_path / "dead", request, dead=True) as made:
        yield made
