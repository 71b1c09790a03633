"""Every ClusterTransport adapter, pointed at a sandbox cluster, for the contract suite.

The socket adapters share one TLS sandbox served from its own thread and event loop
(started once per session, like an apiserver in another process); each test still
builds its own transport. The in-process adapter gets a fresh plain sandbox per test,
since it calls the engine on the test's own loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from periscope_adapters.sandbox import ADMIN_USER, SandboxCluster
from periscope_core.ports.transport import ClusterTransport

from .sandbox_adapters import ADAPTERS, SPEC, ServedFleet, ServerHooks, closed_port, local_fleet, socket_connection


@pytest.fixture(scope="session")
def served() -> Iterator[ServedFleet]:
    fleet = ServedFleet()
    yield fleet
    fleet.stop()


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
    return request.getfixturevalue("local_cluster" if adapter == "in-process" else "served")  # type: ignore[no-any-return]


@pytest.fixture
def server_hooks(sandbox: SandboxCluster | ServedFleet) -> ServerHooks:
    if isinstance(sandbox, ServedFleet):
        return ServerHooks(sandbox.cluster, sandbox.call)

    async def direct(action: Callable[[], None]) -> None:
        action()

    return ServerHooks(sandbox, direct)


@pytest.fixture
async def transport(
    adapter: str, sandbox: SandboxCluster | ServedFleet, tmp_path: Path
) -> AsyncIterator[ClusterTransport]:
    if isinstance(sandbox, ServedFleet):
        made = await socket_connection(adapter, sandbox, tmp_path / "live", sandbox.cluster.url).connect()
    else:
        made = sandbox.transport(ADMIN_USER)
    yield made
    await made.aclose()


@pytest.fixture
async def unreachable_transport(
    adapter: str, sandbox: SandboxCluster | ServedFleet, tmp_path: Path
) -> AsyncIterator[ClusterTransport]:
    if isinstance(sandbox, ServedFleet):
        dead = f"https://127.0.0.1:{closed_port()}"
        made = await socket_connection(adapter, sandbox, tmp_path / "dead", dead).connect()
    else:
        made = sandbox.transport(ADMIN_USER)
        await made.aclose()  # the in-process equivalent of a closed port
    yield made
    await made.aclose()
