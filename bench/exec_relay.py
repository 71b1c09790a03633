"""Exec relay: throughput and keystroke echo latency through Periscope, against the sandbox directly.

Three processes, as in production: the sandbox fleet (``periscope sandbox``), the
console (``periscope serve`` on the fleet's registry, dev mode, the bridge identity
granted cluster-admin for the run) and this client. The client speaks the browser
protocol to Periscope and the Kubernetes channel protocol (``v5.channel.k8s.io``)
straight to the sandbox apiserver, with the same WebSocket library, in the same run.

    .venv/bin/python bench/exec_relay.py [--megabytes 64] [--line 16384] [--keystrokes 200] [--rounds 5]

Throughput: ``cat`` without a terminal, fed lines on stdin, echoes them on stdout;
the figure is bytes echoed per second (each byte crosses the relay twice), with the
CPU the sandbox and the console processes spent per MiB echoed. Echo
latency: a bash with a terminal; one keystroke is sent and timed until the terminal's
echo of it arrives, alternating a letter and a backspace. Rounds alternate direct and
relayed runs; the medians are reported.

By default the client offers no compression on either path: kube-apiserver does not
negotiate permessage-deflate for exec, so the direct path is what kubectl gets.
``--deflate`` offers it on both, as browsers do (the sandbox accepts it, so the
direct path then compresses too).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import yaml
from websockets.asyncio.client import ClientConnection, connect

CLUSTER = "prod"
V5 = "v5.channel.k8s.io"
RBAC = "rbac.authorization.k8s.io"
PERISCOPE = [str(Path(sys.executable).parent / "periscope")]


class Endpoints:
    """How to reach one pod directly and through Periscope."""

    def __init__(self, kubeconfig: Path, console: str, *, deflate: bool) -> None:
        config = yaml.safe_load(kubeconfig.read_text())
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == CLUSTER)
        user = next(u["user"] for u in config["users"] if u["name"] == f"{CLUSTER}-admin")
        self.server = cluster["server"]
        self.ssl = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        self.token = user["token"]
        self.console = console
        self.compression = "deflate" if deflate else None
        self.namespace = self.pod = self.container = ""

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.server, verify=self.ssl, headers={"Authorization": f"Bearer {self.token}"})

    def prepare(self) -> None:
        """Let the bridge exec (dev mode calls clusters as the bridge); pick a running pod with bash."""
        with self.api() as api:
            binding = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "bench-bridge"},
                       "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "cluster-admin"},
                       "subjects": [{"apiGroup": RBAC, "kind": "User", "name": "periscope-bridge"}]}  # fmt: skip
            api.post(f"/apis/{RBAC}/v1/clusterrolebindings", json=binding)
            for item in api.get("/api/v1/pods").json()["items"]:
                first = item["spec"]["containers"][0]
                shell_image = not re.search("busybox|alpine|distroless", first["image"])
                if item["status"].get("phase") == "Running" and shell_image:
                    self.namespace, self.pod = item["metadata"]["namespace"], item["metadata"]["name"]
                    self.container = first["name"]
                    return
        raise RuntimeError("no running pod with bash in the sandbox")

    async def direct(self, command: list[str], *, tty: bool) -> Session:
        query = "&".join([*(f"command={part}" for part in command), f"container={self.container}", "stdin=true",
                          "stdout=true", f"{'tty' if tty else 'stderr'}=true"])  # fmt: skip
        url = f"{self.server.replace('https', 'wss')}/api/v1/namespaces/{self.namespace}/pods/{self.pod}/exec?{query}"
        ws = await connect(url, ssl=self.ssl, subprotocols=[V5], max_size=None,  # type: ignore[list-item]
                           compression=self.compression, additional_headers={"Authorization": f"Bearer {self.token}"})
        return Session(ws, channels=True)

    async def relayed(self, command: list[str], *, tty: bool) -> Session:
        encoded = base64.urlsafe_b64encode(json.dumps(command).encode()).decode().rstrip("=")
        url = (f"{self.console.replace('http', 'ws', 1)}/api/clusters/{CLUSTER}/pods/{self.namespace}/{self.pod}"
               f"/exec?container={self.container}&command={encoded}&tty={str(tty).lower()}")
        ws = await connect(url, origin=self.console, max_size=None, compression=self.compression)  # type: ignore[arg-type]
        return Session(ws, channels=False)


class Session:
    """One exec WebSocket, either framed with channel bytes (direct) or browser style (relayed)."""

    def __init__(self, ws: ClientConnection, *, channels: bool) -> None:
        self.ws, self.channels = ws, channels

    async def send(self, data: bytes) -> None:
        await self.ws.send(b"\x00" + data if self.channels else data)

    async def output(self) -> bytes:
        """The next output bytes (control messages and status frames skipped)."""
        while True:
            frame = await self.ws.recv()
            if isinstance(frame, str):
                if json.loads(frame).get("type") == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                continue
            if not self.channels:
                return frame
            if frame[:1] in (b"\x01", b"\x02") and len(frame) > 1:
                return frame[1:]

    async def aclose(self) -> None:
        await self.ws.close()


async def throughput(open_session: Callable[..., Awaitable[Session]], *, total: int, line: int) -> float:
    """Bytes per second echoed by ``cat``."""
    session = await open_session(["cat"], tty=False)
    chunk = (b"x" * (line - 1) + b"\n") * max(1, 65536 // line)
    received = 0
    started = time.perf_counter()

    async def feed() -> None:
        sent = 0
        while sent < total:
            await session.send(chunk)
            sent += len(chunk)

    async with anyio.create_task_group() as tg:
        tg.start_soon(feed)
        while received < total:
            received += len(await session.output())
    elapsed = time.perf_counter() - started
    await session.aclose()
    return received / elapsed


async def echo_latencies(open_session: Callable[..., Awaitable[Session]], *, keystrokes: int) -> list[float]:
    """Seconds from one keystroke to its echo, per keystroke."""
    session = await open_session(["bash"], tty=True)
    pending = b""
    while not pending.endswith(b"# "):
        pending += await session.output()
    samples: list[float] = []
    for i in range(keystrokes):
        key, echo = (b"a", b"a") if i % 2 == 0 else (b"\x7f", b"\b \b")
        started = time.perf_counter()
        await session.send(key)
        seen = b""
        while echo not in seen:
            seen += await session.output()
        samples.append(time.perf_counter() - started)
    await session.aclose()
    return samples


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _start(argv: list[str], ready: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    for output in process.stdout:
        if ready in output:
            return process, output
    raise RuntimeError(f"{argv[1]} exited before it was ready")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(endpoints: Endpoints, args: argparse.Namespace, pids: dict[str, int]) -> dict[str, Any]:
    ways = {"direct": endpoints.direct, "periscope": endpoints.relayed}
    rates: dict[str, list[float]] = {way: [] for way in ways}
    latencies: dict[str, list[float]] = {way: [] for way in ways}
    cpu = {way: dict.fromkeys(pids, 0.0) for way in ways}
    for _ in range(args.rounds):
        for way, opener in ways.items():
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            rates[way].append(await throughput(opener, total=args.megabytes << 20, line=args.line))
            for name, pid in pids.items():
                cpu[way][name] += cpu_seconds(pid) - before[name]
            latencies[way].extend(await echo_latencies(opener, keystrokes=args.keystrokes))
    result: dict[str, Any] = {}
    echoed = args.rounds * args.megabytes
    for way in ways:
        result[way] = {
            "throughput_mb_s": statistics.median(rates[way]) / (1 << 20),
            "echo_p50_ms": percentile(latencies[way], 0.5) * 1000,
            "echo_p99_ms": percentile(latencies[way], 0.99) * 1000,
            **{f"{name}_cpu_ms_per_mb": cpu[way][name] * 1000 / echoed for name in pids},
        }
    result["throughput_ratio"] = result["periscope"]["throughput_mb_s"] / result["direct"]["throughput_mb_s"]
    result["echo_p99_added_ms"] = result["periscope"]["echo_p99_ms"] - result["direct"]["echo_p99_ms"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=64, help="echoed per throughput run")
    parser.add_argument("--line", type=int, default=16384, help="bytes per line fed to cat")
    parser.add_argument("--keystrokes", type=int, default=200, help="per latency run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate, as browsers do")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        kubeconfig, registry = Path(workdir) / "kubeconfig", Path(workdir) / "clusters.yaml"
        env = {**os.environ, "PERISCOPE_DATA_DIR": workdir}
        fleet, _ = _start([*PERISCOPE, "sandbox", "--kubeconfig", str(kubeconfig), "--registry", str(registry),
                           "--no-churn"], "try:", env)  # fmt: skip
        console = None
        try:
            console, line = _start([*PERISCOPE, "serve", "--clusters", str(registry), "--port", "0"],
                                   "Periscope is serving", env)  # fmt: skip
            url = re.search(r"http://[^ ]+", line)
            assert url is not None
            endpoints = Endpoints(kubeconfig, url.group(0), deflate=args.deflate)
            endpoints.prepare()
            result = anyio.run(measure, endpoints, args, {"sandbox": fleet.pid, "periscope": console.pid})
        finally:
            for process in (console, fleet):
                if process is not None:
                    process.terminate()
                    process.wait(10)
    print(f"machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}")
    print(f"pod: {endpoints.namespace}/{endpoints.pod}, {args.megabytes} MiB per throughput run, "
          f"{args.keystrokes} keystrokes per latency run, {args.rounds} rounds, "
          f"client compression: {endpoints.compression or 'off'}")
    print(f"{'':24}{'direct':>12}{'periscope':>12}")
    for key, label in (("throughput_mb_s", "throughput MiB/s"), ("echo_p50_ms", "echo p50 ms"),
                       ("echo_p99_ms", "echo p99 ms"), ("sandbox_cpu_ms_per_mb", "sandbox CPU ms/MiB"),
                       ("periscope_cpu_ms_per_mb", "periscope CPU ms/MiB")):  # fmt: skip
        print(f"{label:24}{result['direct'][key]:>12.2f}{result['periscope'][key]:>12.2f}")
    print(f"throughput ratio: {result['throughput_ratio']:.0%} (target >= 70%)")
    print(f"echo p99 added: {result['echo_p99_added_ms']:+.2f} ms (target <= +5 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
