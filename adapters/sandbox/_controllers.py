"""The control plane behind a sandbox apiserver: controllers, scheduler and kubelets.

``Controllers.run`` is one anyio task per cluster. It wakes on every committed write (the
store calls back synchronously) and at least every ``tick`` seconds, for the transitions
that depend on time (a pod finishing its startup, a Job completing, a crash loop), and runs
one level-triggered pass over everything. Passes are synchronous: nothing else touches the
store during one, so reads and writes within a pass never conflict.
"""

from __future__ import annotations

import ipaddress
import random
import time
from collections.abc import Callable
from typing import Any, Protocol

import anyio
import anyio.lowlevel

from periscope_adapters.sandbox._events import EventRecorder, ObjectApi
from periscope_adapters.sandbox._kubelet import Kubelet
from periscope_adapters.sandbox._objects import Obj, clone
from periscope_adapters.sandbox._podlogs import LogSink, LogWriter
from periscope_adapters.sandbox._workloads import Workloads

__all__ = ["ControlledApi", "Controllers"]

_SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")


class _Store(Protocol):
    def subscribe(self, listener: Callable[[Any], None]) -> None: ...


class ControlledApi(ObjectApi, LogSink, Protocol):
    """What the control plane needs of an ApiServer."""

    @property
    def store(self) -> _Store: ...


class Controllers:
    """Every controller of one cluster; ``reconcile`` is one pass, ``run`` the loop."""

    def __init__(
        self,
        api: ControlledApi,
        *,
        now: Callable[[], str],
        clock: Callable[[], float] = time.monotonic,
        seed: int | str = 0,
        tick: float = 0.25,
        startup: float = 0.5,
        log_interval: float = 2.0,
        event_limit: int = 400,
    ) -> None:
        self._api = api
        self._tick = tick
        self._now = now
        rng = random.Random(seed)
        self.events = EventRecorder(api, now=now, limit=event_limit)
        self._workloads = Workloads(api, self.events, now=now, rng=rng)
        logs = LogWriter(api, rng=rng, now=now, interval=log_interval)
        self._kubelet = Kubelet(api, self.events, logs, clock=clock, now=now, rng=rng, startup=startup)
        self._wake = anyio.Event()
        self._next_ip = 10  # the first addresses are the apiserver's and DNS's

    def _list(self, group: str, plural: str) -> list[Obj]:
        return list(self._api.list_objects(group, plural))

    def reconcile(self, *, instant: bool = False) -> None:
        """One pass of every controller, owners before what they own."""
        self._namespaces(self._list("", "namespaces"))
        self._services(self._list("", "services"))
        jobs = self._list("batch", "jobs")
        self._workloads.reconcile_cronjobs(self._list("batch", "cronjobs"), jobs)
        self._workloads.reconcile_jobs(jobs, self._list("", "pods"))
        replicasets = self._list("apps", "replicasets")
        self._workloads.reconcile_deployments(self._list("apps", "deployments"), replicasets)
        self._workloads.reconcile_replicasets(self._list("apps", "replicasets"), self._list("", "pods"))
        self._workloads.reconcile_statefulsets(self._list("apps", "statefulsets"), self._list("", "pods"))
        nodes = self._nodes(self._list("", "nodes"))
        self._workloads.reconcile_daemonsets(self._list("apps", "daemonsets"), self._list("", "pods"), nodes)
        self._kubelet.reconcile(self._list("", "pods"), nodes, instant=instant)

    def settle(self, passes: int = 8) -> None:
        """Run passes back to back right after seeding: children exist and pods run at once."""
        for _ in range(passes):
            self.reconcile(instant=True)

    async def run(self) -> None:
        """Reconcile on every write and every tick until cancelled."""
        self._api.store.subscribe(self._on_write)
        while True:
            with anyio.move_on_after(self._tick):
                await self._wake.wait()
            self._wake = anyio.Event()
            self.reconcile()
            await anyio.lowlevel.checkpoint()  # let clients in between passes even under constant churn

    def _on_write(self, _event: Any) -> None:
        self._wake.set()

    def _namespaces(self, namespaces: list[Obj]) -> None:
        for ns in namespaces:
            if "deletionTimestamp" in ns["metadata"] or (ns.get("status") or {}).get("phase"):
                continue
            new = clone(ns)
            new["status"] = {"phase": "Active"}
            new.setdefault("spec", {"finalizers": ["kubernetes"]})
            self._api.update_object(new)
        names = {ns["metadata"]["name"] for ns in namespaces if "deletionTimestamp" not in ns["metadata"]}
        with_sa = {sa["metadata"]["namespace"] for sa in self._list("", "serviceaccounts")
                   if sa["metadata"]["name"] == "default"}
        for name in sorted(names - with_sa):
            self._api.create_object({"apiVersion": "v1", "kind": "ServiceAccount",
                                     "metadata": {"name": "default", "namespace": name}})

    def _nodes(self, nodes: list[Obj]) -> list[Obj]:
        """Stamp the first heartbeat on conditions a node registered without times."""
        out = []
        for node in nodes:
            conditions = (node.get("status") or {}).get("conditions") or ()
            if conditions and all("lastHeartbeatTime" in c for c in conditions):
                out.append(node)
                continue
            new = clone(node)
            now = self._now()
            for cond in new["status"]["conditions"]:
                cond.setdefault("lastHeartbeatTime", now)
                cond.setdefault("lastTransitionTime", now)
            out.append(self._api.update_object(new) if conditions else node)
        return out

    def _services(self, services: list[Obj]) -> None:
        taken = {s["spec"].get("clusterIP") for s in services}
        for svc in services:
            spec = svc.get("spec") or {}
            if spec.get("clusterIP") or spec.get("type") == "ExternalName":
                continue
            ip = str(_SERVICE_CIDR[self._next_ip])
            while ip in taken:
                self._next_ip += 1
                ip = str(_SERVICE_CIDR[self._next_ip])
            taken.add(ip)
            new = clone(svc)
            new["spec"].update(clusterIP=ip, clusterIPs=[ip], ipFamilies=["IPv4"],
                               ipFamilyPolicy="SingleStack", internalTrafficPolicy="Cluster")
            new["spec"].setdefault("type", "ClusterIP")
            new["spec"].setdefault("sessionAffinity", "None")
            self._api.update_object(new)
