"""What sandbox containers print: plausible log lines chosen by image and by what happens.

A web server logs access lines, a database or cache its own chatter, anything else
structured application lines; a crashing container prints a stack of its last words.
Lines go to the engine through ``append_log``; timestamps are the engine's to add.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

__all__ = ["LogWriter"]

Obj = dict[str, Any]

_PATHS = ("/", "/healthz", "/api/v1/items", "/api/v1/orders", "/metrics", "/static/app.js", "/login")
_AGENTS = ("kube-probe/1.32", "Mozilla/5.0", "curl/8.5.0", "Prometheus/2.53.0", "Go-http-client/1.1")
_OPS = ("request handled", "cache refreshed", "batch committed", "job polled", "connection pool stats")


class LogSink(Protocol):
    def append_log(self, namespace: str, pod: str, container: str, line: str) -> Any: ...

    def rotate_log(self, namespace: str, pod: str, container: str) -> Any: ...


def _kind(image: str) -> str:
    name = image.lower()
    for kind in ("nginx", "envoy", "redis", "postgres", "prometheus", "coredns"):
        if kind in name:
            return kind
    return "app"


class LogWriter:
    """Writes a pod's startup lines, a line now and then while it runs, and its crashes."""

    def __init__(
        self, sink: LogSink, *, rng: random.Random, now: Callable[[], str], interval: float = 2.0
    ) -> None:
        self._sink, self._rng, self._now, self._interval = sink, rng, now, interval
        self._due: dict[str, float] = {}

    def forget(self, live: Iterable[str]) -> None:
        keep = set(live)
        for uid in [u for u in self._due if u not in keep]:
            del self._due[uid]

    def _append(self, pod: Mapping[str, Any], container: str, line: str) -> None:
        meta = pod["metadata"]
        self._sink.append_log(meta["namespace"], meta["name"], container, line)

    def write(self, pod: Mapping[str, Any], *, final: bool) -> None:
        """Startup lines (or, for a finished Job pod, its closing lines)."""
        for c in pod["spec"]["containers"]:
            for line in self._closing(c) if final else self._startup(pod, c):
                self._append(pod, c["name"], line)

    def tick(self, pod: Mapping[str, Any], now: float) -> None:
        """A new line per container once the pod's interval has passed."""
        uid = pod["metadata"]["uid"]
        due = self._due.get(uid)
        if due is None:
            # Spread pods over the interval so lines trickle in rather than burst.
            self._due[uid] = now + self._rng.uniform(0, self._interval)
            return
        if now < due:
            return
        self._due[uid] = now + self._interval
        for c in pod["spec"]["containers"]:
            self._append(pod, c["name"], self._line(pod, c))

    def crash(self, pod: Mapping[str, Any]) -> None:
        """The last words of one more failed attempt; the attempt before becomes ``previous``."""
        meta = pod["metadata"]
        for c in pod["spec"]["containers"]:
            self._sink.rotate_log(meta["namespace"], meta["name"], c["name"])
            for line in (
                f"{self._now()} INFO starting {c['name']}",
                f"{self._now()} ERROR failed to connect to database: dial tcp 10.96.44.12:5432: connect: "
                "connection refused",
                "panic: unable to initialise storage backend",
                "",
                "goroutine 1 [running]:",
                "main.main()",
                "\t/src/cmd/server/main.go:57 +0x1d4",
            ):
                self._append(pod, c["name"], line)

    def _startup(self, pod: Mapping[str, Any], container: Mapping[str, Any]) -> list[str]:
        kind, now = _kind(str(container.get("image", ""))), self._now()
        if kind == "nginx":
            return [
                "/docker-entrypoint.sh: Configuration complete; ready for start up",
                f"{now} [notice] 1#1: nginx/1.27.3",
                f"{now} [notice] 1#1: start worker processes",
            ]
        if kind == "redis":
            return ["1:M * Server initialized", "1:M * Ready to accept connections tcp"]
        if kind == "postgres":
            return [f"{now} UTC [1] LOG:  database system is ready to accept connections"]
        port = next((p.get("containerPort") for p in container.get("ports") or ()), 8080)
        version = str(container.get("image", "")).rpartition(":")[2]
        return [
            f"{now} INFO starting {container['name']} version={version}",
            f"{now} INFO config loaded namespace={pod['metadata']['namespace']}",
            f"{now} INFO listening on :{port}",
        ]

    def _closing(self, container: Mapping[str, Any]) -> list[str]:
        now = self._now()
        items = self._rng.randint(10, 999)
        return [f"{now} INFO {container['name']}: work complete, {items} items processed",
                f"{now} INFO exiting with status 0"]

    def _line(self, pod: Mapping[str, Any], container: Mapping[str, Any]) -> str:
        kind, now, rng = _kind(str(container.get("image", ""))), self._now(), self._rng
        if kind in ("nginx", "envoy"):
            ip = f"10.244.{rng.randint(0, 3)}.{rng.randint(2, 250)}"
            status = rng.choice((200, 200, 200, 200, 304, 404, 500))
            return (f'{ip} - - [{now}] "GET {rng.choice(_PATHS)} HTTP/1.1" {status} {rng.randint(0, 9000)} '
                    f'"-" "{rng.choice(_AGENTS)}"')
        if kind == "redis":
            return f"1:M * {rng.randint(1, 100)} changes in 60 seconds. Saving..."
        if kind == "postgres":
            pid, buffers = rng.randint(50, 900), rng.randint(1, 90)
            return f"{now} UTC [{pid}] LOG:  checkpoint complete: wrote {buffers} buffers"
        level = rng.choice(("INFO", "INFO", "INFO", "DEBUG", "WARN"))
        return (f"{now} {level} {rng.choice(_OPS)} pod={pod['metadata']['name']} "
                f"duration_ms={rng.randint(1, 250)}")
