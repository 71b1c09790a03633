"""SSE fan-out: one upstream watch at a steady event rate, fanned out to many subscribers.

Drives the watch hub directly against an in-process sandbox apiserver: a subscriber
is a task consuming ``Subscription.frames()`` (the bytes a route would write to its
socket). Every figure is also measured for a single subscriber in the same run, so
the ratios cancel out the machine's speed.

    .venv/bin/python bench/sse_fanout.py [--subscribers 1000] [--rate 200] [--seconds 4] [--rounds 3] [--json]
        [--wake-budget 5000] [--http]

``--http`` runs the same phases through the real app on uvicorn with socket clients
(``sse_fanout_http.py``).

Figures: upstream watches opened, delivery latency p50/p99 (apiserver commit ->
consumer receipt), the hub's CPU per event and per delivery (process CPU minus a
sandbox-only baseline where a bare watch reads the same events; consumers are
included, their parsing stands in for the socket write), memory per idle subscriber,
and the p99 of fast subscribers while one subscriber never reads. CPU and latency
phases run ``--rounds`` times and the medians are reported; memory is measured first,
while the heap is fresh.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import anyio
import msgspec

from periscope_adapters.sandbox import ADMIN_USER, ApiServer, InProcessTransport
from periscope_adapters.sandbox._manifests import container, namespace, pod
from periscope_core.domain.identity import BRIDGE, Impersonation
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.services.kube import KubeClient
from periscope_core.services.watch_hub import HubSettings, Subscription, WatchHub, kind_target
from periscope_core.services.watch_upstream import UpstreamSettings

NS = "bench"
PODS = 100
_BASELINE = Impersonation(user="baseline-reader", groups=("system:masters",))


class Cluster:
    """The sandbox cluster, and the commit time of every event the producer caused, in order."""

    def __init__(self) -> None:
        self.api = ApiServer(name="bench", bookmark_interval=60.0)
        self.api.create_object(namespace(NS))
        for i in range(PODS):
            self.api.create_object(pod(NS, f"pod-{i:03}", [container("app", "nginx:1.27")]))
        self.kube = KubeClient(InProcessTransport(self.api, ADMIN_USER), cluster="bench")
        self.sent: list[float] = []
        self.ticks = 0

    async def client(self, name: str) -> KubeClient:
        return self.kube

    def watches_opened(self) -> int:
        """Watches the hub opened (the bare baseline watch runs as another user)."""
        stats = self.api.watch_stats().opened
        return sum(n for key, n in stats.items() if key.resource == "pods" and key.user == ADMIN_USER.name)

    def change_one(self) -> None:
        self.ticks += 1
        name = f"pod-{self.ticks % PODS:03}"
        self.api.patch_status("v1", "pods", NS, name, {"message": f"tick {self.ticks}"})
        self.sent.append(time.perf_counter())

    async def produce(self, rate: float, seconds: float) -> int:
        """Change one pod ``rate`` times a second on an absolute schedule; returns the events made."""
        start, count = time.perf_counter(), int(rate * seconds)
        for i in range(count):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await anyio.sleep(delay)
            self.change_one()
        return count

    async def measure(self, rate: float, seconds: float) -> tuple[int, int, float]:
        """Warm up, then produce for ``seconds``: (warm-up events, measured events, process CPU used)."""
        self.sent.clear()
        warmup = await self.produce(rate, 0.5)
        await anyio.sleep(0.3)
        gc.collect()
        cpu = time.process_time()
        events = await self.produce(rate, seconds)
        await anyio.sleep(0.3)  # let the last events arrive
        return warmup, events, time.process_time() - cpu


class Marks:
    """When each chunk of a stream came, and how many events (``id:`` lines) it held.

    Every subscriber sees every event in commit order, so the k-th event frame it gets
    is the k-th event produced after it subscribed: counting frames per chunk (in C) is
    enough, and latencies are worked out after the phase, off the measured CPU.
    """

    def __init__(self) -> None:
        self.marks: list[tuple[float, int]] = []
        self.snapshot = anyio.Event()

    def mark(self, frames: int) -> None:
        self.marks.append((time.perf_counter(), frames))
        self.snapshot.set()

    def latencies(self, sent: list[float], first: int) -> list[float]:
        """Receipt minus commit time of every event from the ``first``-th produced on."""
        out, k = [], -1  # the snapshot frame comes first
        for at, frames in self.marks:
            for _ in range(frames):
                if k >= first:
                    out.append(at - sent[k])
                k += 1
        return out


class Consumer(Marks):
    """Reads a subscription like a route writing to a socket."""

    def __init__(self, sub: Subscription) -> None:
        super().__init__()
        self.sub = sub

    async def run(self) -> None:
        async for chunk in self.sub.frames():
            self.mark(chunk.count(b"\nid: "))


async def _subscribe(hub: WatchHub, count: int, tg: Any, prefix: str) -> list[Consumer]:
    target = kind_target("bench", "pods", namespace=NS)
    consumers = []
    for i in range(count):
        sub = await hub.subscribe(target, as_=BRIDGE, actor=f"{prefix}-{i}")
        consumer = Consumer(sub)
        tg.start_soon(consumer.run)
        consumers.append(consumer)
    for consumer in consumers:
        await consumer.snapshot.wait()
    return consumers


def _close(consumers: list[Consumer]) -> None:
    for consumer in consumers:
        consumer.sub.close()


def latencies(consumers: Sequence[Marks], sent: list[float], first: int) -> list[float]:
    return [value for consumer in consumers for value in consumer.latencies(sent, first)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Phase(msgspec.Struct):
    subscribers: int
    events: int
    p50_ms: float
    p99_ms: float
    cpu_per_event_us: float
    """The whole process: sandbox, hub and consumers."""
    watches_opened: int


async def sandbox_only(cluster: Cluster, rate: float, seconds: float) -> float:
    """CPU per event of the producer, the sandbox and a bare watch decoding the events."""

    async def read() -> None:
        async with cluster.kube.watch(GroupVersionResource("", "v1", "pods"), namespace=NS, as_=_BASELINE) as events:
            async for _ in events:
                pass

    async with anyio.create_task_group() as tg:
        tg.start_soon(read)
        await cluster.produce(rate, 0.5)
        gc.collect()
        cpu = time.process_time()
        events = await cluster.produce(rate, seconds)
        await anyio.sleep(0.3)
        used = time.process_time() - cpu
        tg.cancel_scope.cancel()
    return used / events * 1e6


async def _fanout(hub: WatchHub, cluster: Cluster, subscribers: int, rate: float, seconds: float) -> Phase:
    opened_before = cluster.watches_opened()
    async with anyio.create_task_group() as tg:
        consumers = await _subscribe(hub, subscribers, tg, f"s{subscribers}")
        warmup, events, used = await cluster.measure(rate, seconds)
        _close(consumers)
    values = latencies(consumers, cluster.sent, warmup)
    return Phase(
        subscribers=subscribers, events=events, p50_ms=pct(values, 0.50) * 1e3,
        p99_ms=pct(values, 0.99) * 1e3, cpu_per_event_us=used / events * 1e6,
        watches_opened=cluster.watches_opened() - opened_before,
    )


async def _slow_one(hub: WatchHub, cluster: Cluster, subscribers: int, rate: float, seconds: float) -> tuple[
        float, str | None]:
    """Fast subscribers' p99 while one subscriber never reads; and how the slow one ended."""
    async with anyio.create_task_group() as tg:
        fast = await _subscribe(hub, subscribers - 1, tg, "fast")
        slow = await hub.subscribe(kind_target("bench", "pods", namespace=NS), as_=BRIDGE, actor="slow")
        cluster.sent.clear()
        warmup = await cluster.produce(rate, 0.5)
        gc.collect()
        await cluster.produce(rate, seconds)
        await anyio.sleep(0.3)
        reason = slow.end_reason
        slow.close()
        _close(fast)
    return pct(latencies(fast, cluster.sent, warmup), 0.99) * 1e3, reason


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _idle_memory(hub: WatchHub, cluster: Cluster, subscribers: int) -> tuple[float, float]:
    """Bytes per idle subscriber (its hub state, mailbox and consuming task): traced, and RSS."""

    async def measure(read: Callable[[], int]) -> float:
        async with anyio.create_task_group() as tg:
            gc.collect()
            before = read()
            consumers = await _subscribe(hub, subscribers, tg, "idle")
            await anyio.sleep(0.2)
            gc.collect()
            used = read() - before
            _close(consumers)
        return used / subscribers

    resident = await measure(rss)
    tracemalloc.start()
    try:
        traced = await measure(lambda: tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    return traced, resident


def hub_settings(wake_budget: int) -> HubSettings:
    """No per-user cap, and an upstream that outlives the pauses between phases."""
    return HubSettings(per_user_limit=0, linger=600.0, upstream=UpstreamSettings(wake_budget=wake_budget))


def _median_phase(phases: list[Phase]) -> Phase:
    return Phase(
        subscribers=phases[0].subscribers, events=phases[0].events,
        p50_ms=statistics.median(p.p50_ms for p in phases), p99_ms=statistics.median(p.p99_ms for p in phases),
        cpu_per_event_us=statistics.median(p.cpu_per_event_us for p in phases),
        watches_opened=sum(p.watches_opened for p in phases),
    )


async def main(args: argparse.Namespace) -> dict[str, Any]:
    cluster = Cluster()
    settings = hub_settings(args.wake_budget)
    sandbox: list[float] = []
    ones: list[Phase] = []
    manys: list[Phase] = []
    async with WatchHub(cluster, settings=settings) as hub:
        traced, rss = await _idle_memory(hub, cluster, args.subscribers)
        for _ in range(args.rounds):
            sandbox.append(await sandbox_only(cluster, args.rate, args.seconds))
            ones.append(await _fanout(hub, cluster, 1, args.rate, args.seconds))
            manys.append(await _fanout(hub, cluster, args.subscribers, args.rate, args.seconds))
        # Long enough for a reader that never reads to fill its mailbox.
        slow_seconds = max(args.seconds, settings.queue_size / args.rate + 1.0)
        slow_fast_p99, slow_reason = await _slow_one(hub, cluster, args.subscribers, args.rate, slow_seconds)
    one, many, base = _median_phase(ones), _median_phase(manys), statistics.median(sandbox)
    return {
        "one": one, "many": many, "sandbox_us": base, "hub_many_us": many.cpu_per_event_us - base,
        "marginal_us": (many.cpu_per_event_us - one.cpu_per_event_us) / (many.subscribers - 1),
        "upstream_watches": cluster.watches_opened(),
        "slow_fast_p99_ms": slow_fast_p99, "slow_fast_p99_ratio": slow_fast_p99 / many.p99_ms,
        "slow_end_reason": slow_reason, "idle_traced_bytes": traced, "idle_rss_bytes": rss,
    }


Row = tuple[str, str, str]


def _report(r: dict[str, Any]) -> tuple[list[Row], list[dict[str, Any]]]:
    """The table rows, and one JSON line per target."""
    one, many = r["one"], r["many"]
    per_delivery_one, per_delivery_many = one.cpu_per_event_us, many.cpu_per_event_us / many.subscribers
    ratio = per_delivery_many / per_delivery_one
    rows = [
        ("upstream watches opened by the hub", f"{r['upstream_watches']}", "target 1 (every phase shares it)"),
        ("subscribers", f"1 | {many.subscribers}", ""),
        ("delivery latency p50", f"{one.p50_ms:.1f} | {many.p50_ms:.1f} ms", ""),
        ("delivery latency p99", f"{one.p99_ms:.1f} | {many.p99_ms:.1f} ms", "target <= 250 ms"),
        ("process CPU per event", f"{one.cpu_per_event_us:.0f} | {many.cpu_per_event_us:.0f} us",
         f"the sandbox and a bare watch alone: {r['sandbox_us']:.0f} us"),
        ("process CPU per delivery", f"{per_delivery_one:.0f} | {per_delivery_many:.2f} us",
         f"ratio {ratio:.3f} (target <= 1.5)"),
        ("hub CPU per delivery (sandbox subtracted)", f"{r['hub_many_us'] / many.subscribers:.2f} us", ""),
        ("CPU per extra subscriber, per event", f"{r['marginal_us']:.2f} us", ""),
        ("fast p99 with one never-reading subscriber", f"{r['slow_fast_p99_ms']:.1f} ms",
         f"ratio {r['slow_fast_p99_ratio']:.2f}; the slow one ended by {r['slow_end_reason']}"),
        ("memory per idle subscriber (traced)", f"{r['idle_traced_bytes'] / 1024:.1f} KiB", "target <= 64 KiB"),
        ("memory per idle subscriber (RSS)", f"{r['idle_rss_bytes'] / 1024:.1f} KiB", ""),
    ]
    lines = [
        {"name": "sse-fanout-watches", "value": r["upstream_watches"], "pass": r["upstream_watches"] == 1},
        {"name": "sse-fanout-cpu-per-delivery", "value": per_delivery_many, "baseline": per_delivery_one,
         "ratio": ratio, "pass": ratio <= 1.5},
        {"name": "sse-fanout-p99-ms", "value": many.p99_ms, "baseline": one.p99_ms,
         "ratio": many.p99_ms / one.p99_ms, "pass": many.p99_ms <= 250},
        {"name": "sse-idle-subscriber-bytes", "value": r["idle_traced_bytes"],
         "pass": r["idle_traced_bytes"] <= 64 * 1024},
    ]
    return rows, lines


def _print(rows: list[Row], lines: list[dict[str, Any]], args: argparse.Namespace) -> None:
    where = "through Litestar and uvicorn" if args.http else "from the hub"
    print(f"SSE fan-out {where}: {args.rate:.0f} events/s, 1 vs {args.subscribers} subscribers, medians of "
          f"{args.rounds} rounds of {args.seconds:.0f} s, wake budget {args.wake_budget}/s")
    print(f"  (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    width = max(len(name) for name, _, _ in rows)
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:<24} {note}")
    if args.json:
        for line in lines:
            print(msgspec.json.encode(line).decode())


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=4.0, help="measured seconds per phase")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the CPU and latency phases")
    parser.add_argument("--http", action="store_true",
                        help="through the real app on uvicorn, with socket clients in this process")
    parser.add_argument("--wake-budget", type=int, default=UpstreamSettings().wake_budget,
                        help="subscriber wake-ups per second per upstream (the hub's wake_budget)")
    parser.add_argument("--json", action="store_true", help="also print one JSON line per target")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _args()
    if arguments.http:
        import sse_fanout_http

        _print(*sse_fanout_http.report(anyio.run(sse_fanout_http.run, arguments)), arguments)
    else:
        _print(*_report(anyio.run(main, arguments)), arguments)
