"""SSE fan-out through the real app: Litestar on uvicorn, real sockets, one process per side.

The server process runs the sandbox apiserver (in-process, as in the hub-only run), the
producer and the whole app; it reaches the apiserver through a registry entry whose
backend is the in-process transport, so only the browser side goes over sockets. The
bench process runs N raw-socket clients (a GET, then reading chunks and counting
``id:`` lines, as little CPU as a client can cost) and drives the server through JSON
lines on its stdin and stdout. Latency is receipt minus commit time, both read from
the system-wide monotonic clock (``time.perf_counter``) in the two processes.

    .venv/bin/python bench/sse_fanout.py --http [--subscribers 1000] [--rate 200] [--seconds 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import anyio
import msgspec
from sse_fanout import NS, Cluster, Marks, hub_settings, latencies, pct, rss, sandbox_only

from periscope_adapters.sandbox import ADMIN_USER, InProcessTransport
from periscope_core.domain.clusters import ClusterEntry
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.ports.transport import ClusterTransport
from periscope_core.services.watch_hub import WatchHub
from periscope_entrypoints.bootstrap import Settings, bootstrap
from periscope_entrypoints.http.server import HttpServer

__all__ = ["run"]

_REPLY = "@@ "
"""Prefixes the server's answers on stdout, so nothing else printed there is mistaken for one."""
_PATH = f"/api/clusters/bench/pods/watch?namespace={NS}"


# -- the server process -----------------------------------------------------------------


class _InProcess(ClusterBackend):
    name = "bench"

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster

    async def connect(self, entry: ClusterEntry, context: BackendContext) -> ClusterTransport:
        return InProcessTransport(self._cluster.api, ADMIN_USER)


async def _serve(wake_budget: int) -> None:
    cluster = Cluster()
    workdir = Path(tempfile.mkdtemp(prefix="sse-http-"))
    registry = workdir / "clusters.yaml"
    registry.write_text("clusters:\n  - name: bench\n    backend: bench\n")
    services = await bootstrap(Settings(clusters_file=str(registry), data_dir=str(workdir)),
                               backends={"bench": _InProcess(cluster)})  # fmt: skip
    hub = WatchHub(services.directory, settings=hub_settings(wake_budget))
    services = dataclasses.replace(services, watch_hub=hub)
    server = HttpServer(services, host="127.0.0.1", port=0)
    async with anyio.create_task_group() as tg:
        url = await tg.start(server.serve)
        _answer({"url": url})
        async with anyio.wrap_file(sys.stdin) as commands:
            async for line in commands:
                command = json.loads(line)
                if command["cmd"] == "quit":
                    break
                _answer(await _run(command, cluster, hub))
        server.stop()
    await services.aclose()


async def _run(command: dict[str, Any], cluster: Cluster, hub: WatchHub) -> dict[str, Any]:
    rate, seconds = command.get("rate", 0.0), command.get("seconds", 0.0)
    if command["cmd"] == "produce":
        warmup, events, used = await cluster.measure(rate, seconds)
        return {"sent": cluster.sent, "warmup": warmup, "events": events, "cpu": used}
    if command["cmd"] == "baseline":
        return {"us": await sandbox_only(cluster, rate, seconds)}
    return {"watches": cluster.watches_opened(), "rss": rss(), "streams": len(hub.streams())}


def _answer(reply: dict[str, Any]) -> None:
    print(_REPLY + json.dumps(reply), flush=True)


# -- the bench process ------------------------------------------------------------------


class _Server:
    """The server process and its command channel."""

    def __init__(self, wake_budget: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(wake_budget)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        url = self._read()["url"]
        host, port = url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)

    def _read(self) -> dict[str, Any]:
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        for line in stdout:
            if line.startswith(_REPLY):
                reply: dict[str, Any] = json.loads(line[len(_REPLY):])
                return reply
        raise RuntimeError("the server process exited")

    async def ask(self, cmd: str, **fields: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.process.stdin.flush()
        return await anyio.to_thread.run_sync(self._read)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
        self.process.stdin.close()
        self.process.wait(30)


class _Client(Marks, asyncio.Protocol):
    """One browser tab: a raw HTTP/1.1 GET of the watch, then chunks counted as the loop hands them over.

    A protocol rather than a task per client: a task wake-up per read would make the
    clients, not the server, the bottleneck on a small machine.
    """

    def __init__(self) -> None:
        super().__init__()
        self._head: bytes | None = b""
        self._tail = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(f"GET {_PATH} HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n".encode())

    def data_received(self, data: bytes) -> None:
        if self._head is not None:
            self._head += data
            if b"\r\n\r\n" not in self._head:
                return
            if not self._head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(self._head.split(b"\r\n", 1)[0].decode())
            data, self._head = self._head.split(b"\r\n\r\n", 1)[1], None
        # An "id:" line split across two reads is counted once: it starts in the last 4 bytes.
        self.mark((self._tail + data).count(b"\nid: "))
        self._tail = data[-4:]

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def _connect(server: _Server, count: int) -> list[_Client]:
    loop = asyncio.get_running_loop()
    clients = [_Client() for _ in range(count)]
    for client in clients:
        await loop.create_connection(lambda c=client: c, server.host, server.port)  # type: ignore[misc]
    for client in clients:
        await client.snapshot.wait()
    return clients


def _close(clients: list[_Client]) -> None:
    for client in clients:
        client.close()


class HttpPhase(msgspec.Struct):
    subscribers: int
    events: int
    p50_ms: float
    p99_ms: float
    server_cpu_per_event_us: float
    client_cpu_per_event_us: float
    """All the clients together (this process), warm-up included."""


async def _phase(server: _Server, subscribers: int, rate: float, seconds: float) -> HttpPhase:
    clients = await _connect(server, subscribers)
    cpu = time.process_time()
    reply = await server.ask("produce", rate=rate, seconds=seconds)
    client_cpu = time.process_time() - cpu
    _close(clients)
    values = latencies(clients, reply["sent"], reply["warmup"])
    events = reply["events"] + reply["warmup"]
    return HttpPhase(subscribers=subscribers, events=reply["events"], p50_ms=pct(values, 0.5) * 1e3,
                     p99_ms=pct(values, 0.99) * 1e3, server_cpu_per_event_us=reply["cpu"] / reply["events"] * 1e6,
                     client_cpu_per_event_us=client_cpu / events * 1e6)


async def _idle_memory(server: _Server, subscribers: int) -> float:
    """Server RSS per idle connected subscriber."""
    before = (await server.ask("stats"))["rss"]
    clients = await _connect(server, subscribers)
    await anyio.sleep(0.5)
    after = await server.ask("stats")
    _close(clients)
    assert after["streams"] == subscribers, after
    return float(after["rss"] - before) / subscribers


def _median(phases: list[HttpPhase]) -> HttpPhase:
    return HttpPhase(
        subscribers=phases[0].subscribers, events=phases[0].events,
        p50_ms=statistics.median(p.p50_ms for p in phases), p99_ms=statistics.median(p.p99_ms for p in phases),
        server_cpu_per_event_us=statistics.median(p.server_cpu_per_event_us for p in phases),
        client_cpu_per_event_us=statistics.median(p.client_cpu_per_event_us for p in phases),
    )  # fmt: skip


async def run(args: argparse.Namespace) -> dict[str, Any]:
    server = _Server(args.wake_budget)
    try:
        idle = await _idle_memory(server, args.subscribers)
        base: list[float] = []
        ones: list[HttpPhase] = []
        manys: list[HttpPhase] = []
        for _ in range(args.rounds):
            base.append((await server.ask("baseline", rate=args.rate, seconds=args.seconds))["us"])
            ones.append(await _phase(server, 1, args.rate, args.seconds))
            manys.append(await _phase(server, args.subscribers, args.rate, args.seconds))
        watches = (await server.ask("stats"))["watches"]
    finally:
        server.close()
    return {"one": _median(ones), "many": _median(manys), "sandbox_us": statistics.median(base),
            "upstream_watches": watches, "idle_rss_bytes": idle}  # fmt: skip


def report(r: dict[str, Any]) -> tuple[list[tuple[str, str, str]], list[dict[str, Any]]]:
    """The table rows, and one JSON line per target."""
    one, many, base = r["one"], r["many"], r["sandbox_us"]
    app_many = many.server_cpu_per_event_us - base
    marginal = (many.server_cpu_per_event_us - one.server_cpu_per_event_us) / (many.subscribers - 1)
    rows = [
        ("upstream watches opened", f"{r['upstream_watches']}", "target 1 (every phase shares it)"),
        ("subscribers (HTTP connections)", f"1 | {many.subscribers}", ""),
        ("delivery latency p50", f"{one.p50_ms:.1f} | {many.p50_ms:.1f} ms", "commit -> client socket read"),
        ("delivery latency p99", f"{one.p99_ms:.1f} | {many.p99_ms:.1f} ms", "target <= 250 ms"),
        ("server CPU per event", f"{one.server_cpu_per_event_us:.0f} | {many.server_cpu_per_event_us:.0f} us",
         f"the sandbox and a bare watch alone: {base:.0f} us"),
        ("server CPU per delivery, sandbox subtracted", f"{app_many / many.subscribers:.2f} us", ""),
        ("server CPU per extra subscriber, per event", f"{marginal:.2f} us", ""),
        ("client CPU per event (all clients)",
         f"{one.client_cpu_per_event_us:.0f} | {many.client_cpu_per_event_us:.0f} us", "the bench process"),
        ("server memory per idle subscriber (RSS)", f"{r['idle_rss_bytes'] / 1024:.1f} KiB", "target <= 64 KiB"),
    ]
    lines = [
        {"name": "sse-http-watches", "value": r["upstream_watches"], "pass": r["upstream_watches"] == 1},
        {"name": "sse-http-p99-ms", "value": many.p99_ms, "baseline": one.p99_ms, "pass": many.p99_ms <= 250},
        {"name": "sse-http-idle-subscriber-bytes", "value": r["idle_rss_bytes"],
         "pass": r["idle_rss_bytes"] <= 64 * 1024},
    ]
    return rows, lines


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    anyio.run(_serve, int(sys.argv[2]))
