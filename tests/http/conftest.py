"""The real app on uvicorn, on a free loopback port, over a sandbox fleet in this process.

The fleet is reached through the kubeconfig backend it writes, exactly as
``periscope serve`` reaches it, and the tests talk plain HTTP with httpx. Server
and fleet run in a background thread with their own event loop, once per session.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import msgspec
import pytest

from periscope_adapters.sandbox import SandboxFleet
from periscope_entrypoints.bootstrap import Settings, bootstrap
from periscope_entrypoints.http.server import HttpServer


class Console(msgspec.Struct):
    url: str
    fleet: Any
    server: HttpServer
    workdir: Path


class _Runner(threading.Thread):
    def __init__(self, workdir: Path) -> None:
        super().__init__(name="periscope-http-tests", daemon=True)
        self.workdir = workdir
        self.ready = threading.Event()
        self.console: Console | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            anyio.run(self._main)
        except BaseException as exc:  # reported to the fixture, which fails the tests
            self.error = exc
        finally:
            self.ready.set()

    async def _main(self) -> None:
        kubeconfig, registry = self.workdir / "kubeconfig", self.workdir / "clusters.yaml"
        async with SandboxFleet.start(tls=True, churn=False) as fleet:
            fleet.write_kubeconfig(kubeconfig)
            fleet.write_registry(registry, kubeconfig)
            settings = Settings(clusters_file=str(registry), data_dir=str(self.workdir), commit="abc1234")
            services = await bootstrap(settings)
            try:
                server = HttpServer(services, host="127.0.0.1", port=0)
                async with anyio.create_task_group() as tg:
                    url = await tg.start(server.serve)
                    self.console = Console(url=url, fleet=fleet, server=server, workdir=self.workdir)
                    self.ready.set()
            finally:
                await services.aclose()


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    runner = _Runner(tmp_path_factory.mktemp("console"))
    runner.start()
    assert runner.ready.wait(60), "the console did not start within 60 s"
    if runner.error is not None or runner.console is None:
        raise RuntimeError("the console failed to start") from runner.error
    yield runner.console
    runner.console.server.stop()
    runner.join(20)


@pytest.fixture
def http(console: Console) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.url, timeout=20) as client:
        yield client
