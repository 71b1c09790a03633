"""Live churn: a cluster that never sits still, within fixed bounds.

Now and then a short-lived pod appears in ``default`` and is deleted a little later, and a
running pod gets a warning event, so watches, event feeds and pod lists have something to
show. At most ``max_pods`` churn pods exist at once; the task ends when cancelled.
"""

from __future__ import annotations

import random
import time
from collections import deque

import anyio

from periscope_adapters.sandbox._events import EventRecorder, ObjectApi
from periscope_adapters.sandbox._manifests import container, pod
from periscope_adapters.sandbox._objects import name_suffix

__all__ = ["Churn"]

_NAMESPACE = "default"
_WARNINGS = (
    ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
    ("Unhealthy", "Liveness probe failed: Get \"http://{ip}:8080/healthz\": context deadline exceeded"),
    ("BackOff", "Back-off restarting failed container"),
)


class Churn:
    def __init__(
        self,
        api: ObjectApi,
        events: EventRecorder,
        *,
        rng: random.Random,
        period: tuple[float, float] = (3.0, 8.0),
        lifetime: tuple[float, float] = (10.0, 40.0),
        max_pods: int = 3,
    ) -> None:
        self._api, self._events, self._rng = api, events, rng
        self._period, self._lifetime, self._max = period, lifetime, max_pods
        self._alive: deque[tuple[float, str]] = deque()

    async def run(self) -> None:
        while True:
            await anyio.sleep(self._rng.uniform(*self._period))
            self.step(time.monotonic())

    def step(self, now: float) -> None:
        """One round: reap expired pods, maybe start one, maybe complain about one."""
        self._reap(now)
        if len(self._alive) < self._max:
            name = f"smoke-test-{name_suffix(self._rng)}"
            image = self._rng.choice(("busybox:1.36", "nginx:1.27.3", "curlimages/curl:8.11.1"))
            probe = container("probe", image, port=None, memory="32Mi")
            self._api.create_object(pod(_NAMESPACE, name, [probe]))
            self._alive.append((now + self._rng.uniform(*self._lifetime), name))
        running = [p for p in self._api.list_objects("", "pods")
                   if (p.get("status") or {}).get("phase") == "Running"]
        if running and self._rng.random() < 0.3:
            target = self._rng.choice(running)
            reason, message = self._rng.choice(_WARNINGS)
            ip = target["status"].get("podIP", "")
            self._events.record(target, reason, message.format(ip=ip), type="Warning", component="kubelet",
                                host=target["spec"].get("nodeName", ""))

    def _reap(self, now: float) -> None:
        while self._alive and self._alive[0][0] <= now:
            _, name = self._alive.popleft()
            if self._api.get_object("v1", "pods", _NAMESPACE, name) is not None:
                self._api.delete_object("v1", "pods", _NAMESPACE, name)
