"""The scheduler and the kubelets of a sandbox cluster: pods get a node, start, log and end.

Scheduling is the predicate part of kube-scheduler: a Ready, schedulable node whose labels
match the pod's nodeSelector, whose NoSchedule taints the pod tolerates and which has the
extended resources (GPUs) it requests; the least loaded one wins. A pod nothing fits stays
Pending with an Unschedulable condition and one FailedScheduling event.

Then a pod spends ``startup`` seconds in ContainerCreating and runs. The annotation
``sandbox.periscope.dev/simulate`` makes it misbehave the way demos need: ``CrashLoopBackOff``
(restarts every ``crash_period`` seconds) or ``ImagePullBackOff``. Pods of Jobs succeed
after ``job_duration`` seconds. Running pods write log lines now and then.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from typing import Any

from periscope_adapters.sandbox._events import EventRecorder, ObjectApi
from periscope_adapters.sandbox._objects import Obj, clone, condition
from periscope_adapters.sandbox._podlogs import LogWriter

__all__ = ["SIMULATE", "Kubelet", "main_process_exited"]

SIMULATE = "sandbox.periscope.dev/simulate"
_SCHEDULER = "default-scheduler"
_FINAL = ("Succeeded", "Failed")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _node_ready(node: Mapping[str, Any]) -> bool:
    conditions = node.get("status", {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _tolerates(pod_spec: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    for tol in pod_spec.get("tolerations") or ():
        if tol.get("operator") == "Exists" and not tol.get("key"):
            return True
        effect = tol.get("effect", taint.get("effect"))
        if tol.get("key") != taint.get("key") or effect != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists" or tol.get("value", "") == taint.get("value", ""):
            return True
    return False


def _fits(pod: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    spec, labels = pod.get("spec", {}), node["metadata"].get("labels") or {}
    if node.get("spec", {}).get("unschedulable") or not _node_ready(node):
        return False
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    taints = node.get("spec", {}).get("taints") or ()
    hard = [t for t in taints if t.get("effect") in ("NoSchedule", "NoExecute")]
    if not all(_tolerates(spec, t) for t in hard):
        return False
    allocatable = node.get("status", {}).get("allocatable") or {}
    for container in spec.get("containers") or ():
        for resource, amount in ((container.get("resources") or {}).get("requests") or {}).items():
            if "/" in resource and int(str(allocatable.get(resource, "0"))) < int(str(amount)):
                return False
    return True


def _qos(spec: Mapping[str, Any]) -> str:
    resources = [c.get("resources") or {} for c in spec.get("containers") or ()]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    def pinned(r: Mapping[str, Any]) -> bool:
        limits = r.get("limits") or {}
        requests = r.get("requests", limits)
        return bool(limits) and all(limits.get(k) == requests.get(k) for k in ("cpu", "memory"))

    guaranteed = all(pinned(r) for r in resources)
    return "Guaranteed" if guaranteed else "Burstable"


def _owner_kind(pod: Mapping[str, Any]) -> str:
    refs = pod["metadata"].get("ownerReferences") or ()
    return next((str(r.get("kind")) for r in refs if r.get("controller")), "")


class Kubelet:
    """Schedules and runs every pod of one cluster; call ``reconcile`` repeatedly."""

    def __init__(
        self,
        api: ObjectApi,
        events: EventRecorder,
        logs: LogWriter,
        *,
        clock: Callable[[], float],
        now: Callable[[], str],
        rng: random.Random,
        startup: float = 0.5,
        crash_period: float = 10.0,
        job_duration: float = 2.0,
    ) -> None:
        self._api, self._events, self._logs = api, events, logs
        self._clock, self._now, self._rng = clock, now, rng
        self._startup, self._crash_period, self._job_duration = startup, crash_period, job_duration
        self._scheduled_at: dict[str, float] = {}
        self._next_crash: dict[str, float] = {}
        self._ips = 0

    def reconcile(self, pods: list[Obj], nodes: list[Obj], *, instant: bool = False) -> None:
        """One pass; ``instant`` skips the startup delay (a freshly seeded cluster is already up)."""
        now = self._clock()
        live = {p["metadata"]["uid"] for p in pods}
        for uid in set(self._scheduled_at) - live:
            self._scheduled_at.pop(uid)
            self._next_crash.pop(uid, None)
        self._logs.forget(live)
        load: dict[str, int] = {}
        for pod in pods:
            node = pod.get("spec", {}).get("nodeName")
            if node:
                load[node] = load.get(node, 0) + 1
        for pod in pods:
            if "deletionTimestamp" in pod["metadata"]:
                continue
            if not pod.get("spec", {}).get("nodeName"):
                self._schedule(pod, nodes, load)
            else:
                self._run(pod, nodes, now, instant=instant)

    # -- scheduling ---------------------------------------------------------------

    def _schedule(self, pod: Obj, nodes: list[Obj], load: dict[str, int]) -> None:
        fitting = [n for n in nodes if _fits(pod, n)]
        if not fitting:
            conditions = pod.get("status", {}).get("conditions") or ()
            if any(c.get("type") == "PodScheduled" and c.get("status") == "False" for c in conditions):
                return  # already reported; the real scheduler retries quietly too
            message = (
                f"0/{len(nodes)} nodes are available: {len(nodes)} node(s) didn't match Pod's node "
                f"affinity/selector. preemption: 0/{len(nodes)} nodes are available: {len(nodes)} "
                "Preemption is not helpful for scheduling."
            )
            new = clone(pod)
            new["status"] = {
                "phase": "Pending",
                "qosClass": _qos(pod["spec"]),
                "conditions": [condition((), "PodScheduled", "False", self._now(), reason="Unschedulable",
                                         message=message)],
            }
            self._api.update_object(new)
            self._events.record(pod, "FailedScheduling", message, type="Warning", component=_SCHEDULER)
            return
        node = min(fitting, key=lambda n: (load.get(n["metadata"]["name"], 0), n["metadata"]["name"]))
        name = node["metadata"]["name"]
        load[name] = load.get(name, 0) + 1
        new = clone(pod)
        new["spec"]["nodeName"] = name
        self._api.update_object(new)
        meta = pod["metadata"]
        message = f"Successfully assigned {meta['namespace']}/{meta['name']} to {name}"
        self._events.record(pod, "Scheduled", message, component=_SCHEDULER)

    # -- running ------------------------------------------------------------------

    def _host_ip(self, pod: Obj, nodes: list[Obj]) -> str:
        node = next((n for n in nodes if n["metadata"]["name"] == pod["spec"]["nodeName"]), None)
        addresses = (node or {}).get("status", {}).get("addresses") or ()
        return next((a["address"] for a in addresses if a.get("type") == "InternalIP"), "10.0.0.1")

    def _pod_ip(self) -> str:
        self._ips += 1
        return f"10.244.{self._ips // 250}.{self._ips % 250 + 2}"

    def _run(self, pod: Obj, nodes: list[Obj], now: float, *, instant: bool) -> None:
        uid = pod["metadata"]["uid"]
        status = pod.get("status") or {}
        phase = status.get("phase")
        if uid not in self._scheduled_at:
            # A pod that was already running (seeded, or written by a client) counts as started.
            started = instant or phase in ("Running", *_FINAL)
            self._scheduled_at[uid] = now - (self._startup if started else 0.0)
            if not started:
                self._write_status(pod, self._creating_status(pod, nodes))
                return
        if phase in _FINAL:
            return
        elapsed = now - self._scheduled_at[uid] - self._startup
        if elapsed < 0:
            return
        simulate = (pod["metadata"].get("annotations") or {}).get(SIMULATE, "")
        if simulate == "ImagePullBackOff":
            self._image_pull_backoff(pod)
        elif simulate == "CrashLoopBackOff":
            self._crash_loop(pod, now)
        elif _owner_kind(pod) == "Job" and elapsed >= self._job_duration:
            self._write_status(pod, self._finished_status(pod))
            self._logs.write(pod, final=True)
        elif phase != "Running" or not status.get("podIP"):
            self._start(pod, nodes)
        else:
            self._logs.tick(pod, now)

    def _base_status(self, pod: Obj, nodes: list[Obj]) -> Obj:
        status = pod.get("status") or {}
        host_ip = status.get("hostIP") or self._host_ip(pod, nodes)
        return {
            "phase": "Pending",
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "startTime": status.get("startTime") or self._now(),
            "qosClass": _qos(pod["spec"]),
        }

    def _conditions(self, pod: Obj, ready: bool, *, started: bool = True) -> list[Obj]:
        previous = (pod.get("status") or {}).get("conditions") or ()
        now, flag = self._now(), "True" if ready else "False"
        reason = "" if ready else "ContainersNotReady"
        return [
            condition(previous, "PodReadyToStartContainers", "True" if started else "False", now),
            condition(previous, "Initialized", "True", now),
            condition(previous, "Ready", flag, now, reason=reason),
            condition(previous, "ContainersReady", flag, now, reason=reason),
            condition(previous, "PodScheduled", "True", now),
        ]

    def _container_status(self, container: Mapping[str, Any], state: Obj, **extra: Any) -> Obj:
        image = str(container.get("image", ""))
        repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
        return {
            "name": container["name"],
            "image": image,
            "imageID": f"{repo}@sha256:{_digest(image)}",
            "ready": False,
            "started": False,
            "restartCount": 0,
            "state": state,
            "lastState": {},
            **extra,
        }

    def _creating_status(self, pod: Obj, nodes: list[Obj]) -> Obj:
        status = self._base_status(pod, nodes)
        status["conditions"] = self._conditions(pod, False, started=False)
        waiting = {"waiting": {"reason": "ContainerCreating"}}
        status["containerStatuses"] = [self._container_status(c, waiting) for c in pod["spec"]["containers"]]
        return status

    def _start(self, pod: Obj, nodes: list[Obj]) -> None:
        status = self._base_status(pod, nodes)
        pod_ip = (pod.get("status") or {}).get("podIP") or self._pod_ip()
        status.update(phase="Running", podIP=pod_ip, podIPs=[{"ip": pod_ip}])
        status["conditions"] = self._conditions(pod, True)
        running = {"running": {"startedAt": self._now()}}
        status["containerStatuses"] = [
            self._container_status(c, running, ready=True, started=True,
                                   containerID=f"containerd://{_digest(pod['metadata']['uid'] + c['name'])}")
            for c in pod["spec"]["containers"]
        ]
        self._write_status(pod, status)
        for c in pod["spec"]["containers"]:
            pulled = f'Container image "{c.get("image", "")}" already present on machine'
            self._kubelet_event(pod, c, "Pulled", pulled)
            self._kubelet_event(pod, c, "Started", f"Started container {c['name']}")
        self._logs.write(pod, final=False)

    def _finished_status(self, pod: Obj) -> Obj:
        status = dict(pod.get("status") or {})
        status["phase"] = "Succeeded"
        status["conditions"] = self._conditions(pod, False)
        for cond in status["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond["reason"] = "PodCompleted"
        done = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": status.get("startTime", ""),
                               "finishedAt": self._now()}}
        status["containerStatuses"] = [self._container_status(c, done) for c in pod["spec"]["containers"]]
        return status

    def _image_pull_backoff(self, pod: Obj) -> None:
        status = pod.get("status") or {}
        statuses = status.get("containerStatuses") or ()
        waiting = [cs.get("state", {}).get("waiting", {}).get("reason") for cs in statuses]
        if waiting and all(w == "ImagePullBackOff" for w in waiting):
            return
        new = dict(status)
        new["containerStatuses"] = []
        for c in pod["spec"]["containers"]:
            image = c.get("image", "")
            backoff = f'Back-off pulling image "{image}"'
            state = {"waiting": {"reason": "ImagePullBackOff", "message": backoff}}
            new["containerStatuses"].append(self._container_status(c, state))
            failure = (
                f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and '
                f'unpack image "{image}": failed to resolve reference "{image}": {image}: not found'
            )
            self._kubelet_event(pod, c, "Pulling", f'Pulling image "{image}"')
            self._kubelet_event(pod, c, "Failed", failure, warning=True)
            self._kubelet_event(pod, c, "BackOff", backoff, warning=True)
        new["conditions"] = self._conditions(pod, False)
        self._write_status(pod, new)

    def _crash_loop(self, pod: Obj, now: float) -> None:
        uid = pod["metadata"]["uid"]
        due = self._next_crash.get(uid, 0.0)
        if now < due:
            return
        self._next_crash[uid] = now + self._crash_period
        status = dict(pod.get("status") or {})
        status.update(phase="Running")
        if not status.get("podIP"):
            ip = self._pod_ip()
            status.update(podIP=ip, podIPs=[{"ip": ip}])
        status["conditions"] = self._conditions(pod, False)
        previous = {cs["name"]: cs for cs in status.get("containerStatuses") or ()}
        stamp = self._now()
        statuses = []
        for c in pod["spec"]["containers"]:
            restarts = int(previous.get(c["name"], {}).get("restartCount", 0)) + (1 if due else 0)
            state = {"waiting": {"reason": "CrashLoopBackOff",
                                 "message": f"back-off 5m0s restarting failed container={c['name']} "
                                            f"pod={pod['metadata']['name']}_{pod['metadata']['namespace']}"}}
            attempt = "containerd://" + _digest(f"{pod['metadata']['uid']}{c['name']}{restarts}")
            last = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": stamp, "finishedAt": stamp,
                                   "containerID": attempt}}
            statuses.append(self._container_status(c, state, restartCount=restarts, lastState=last,
                                                   containerID=attempt))
        status["containerStatuses"] = statuses
        self._write_status(pod, status)
        self._logs.crash(pod)
        if not due:
            self._events.record(pod, "BackOff", "Back-off restarting failed container", type="Warning",
                                component="kubelet", host=pod["spec"]["nodeName"])

    def _kubelet_event(
        self, pod: Obj, container: Mapping[str, Any], reason: str, message: str, *, warning: bool = False
    ) -> None:
        self._events.record(
            pod, reason, message, type="Warning" if warning else "Normal", component="kubelet",
            host=pod["spec"]["nodeName"], field_path=f"spec.containers{{{container['name']}}}",
        )

    def _write_status(self, pod: Obj, status: Obj) -> None:
        if status == pod.get("status"):
            return
        new = clone(pod)
        new["status"] = status
        self._api.update_object(new)


def main_process_exited(api: ObjectApi, pod: Obj, container: str, code: int, *, now: str) -> None:
    """A container's main process (a shell someone attached to) exited with ``code``.

    As on a node: under ``restartPolicy: Always`` (or OnFailure with a failure) the container
    restarts; otherwise it stays terminated and the pod ends Succeeded or Failed.
    """
    current = api.get_object("v1", "pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
    if current is None or current["metadata"]["uid"] != pod["metadata"]["uid"]:
        return
    policy = current["spec"].get("restartPolicy", "Always")
    restart = policy == "Always" or (policy == "OnFailure" and code != 0)
    new = clone(current)
    status = new.setdefault("status", {})
    terminated = {"exitCode": code, "reason": "Completed" if code == 0 else "Error", "finishedAt": now}
    for entry in status.get("containerStatuses") or ():
        if entry.get("name") != container:
            continue
        if restart:
            entry["restartCount"] = int(entry.get("restartCount", 0)) + 1
            entry["lastState"] = {"terminated": terminated}
            entry["state"] = {"running": {"startedAt": now}}
        else:
            entry.update(ready=False, started=False, state={"terminated": terminated})
    entries = status.get("containerStatuses") or ()
    if not restart and all("terminated" in e.get("state", {}) for e in entries):
        failed = any(e["state"]["terminated"].get("exitCode") for e in entries)
        status["phase"] = "Failed" if failed else "Succeeded"
        for cond in status.get("conditions") or ():
            if cond.get("type") in ("Ready", "ContainersReady"):
                cond.update(status="False", reason="PodCompleted", lastTransitionTime=now)
    api.update_object(new)
