"""The workload controllers of kube-controller-manager, reduced to their visible effects.

Each ``reconcile_*`` method is level-triggered and idempotent: it compares what exists with
what the spec asks for, writes the difference, and writes a status only when it changed.
Deployments roll out by creating a ReplicaSet per pod-template hash and scaling the old ones
to zero at once (a rollout with maxSurge=100%); StatefulSets create ordinals in order and
roll them one at a time from the highest; DaemonSets put one pod on every node that fits;
Jobs run pods until ``completions`` have succeeded.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from periscope_adapters.sandbox._events import EventRecorder, ObjectApi
from periscope_adapters.sandbox._objects import (
    Obj,
    clone,
    condition,
    controller_ref,
    name_suffix,
    owned,
    pod_from_template,
    template_hash,
)

__all__ = ["Workloads"]

_REVISION = "deployment.kubernetes.io/revision"
_HASH = "pod-template-hash"
_REVISION_HASH = "controller-revision-hash"


def _ready(pod: Mapping[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _revision(pod: Mapping[str, Any]) -> str:
    return str((pod["metadata"].get("labels") or {}).get(_REVISION_HASH, ""))


def _phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase", ""))


def _replicas(obj: Mapping[str, Any]) -> int:
    value = obj.get("spec", {}).get("replicas")
    return 1 if value is None else int(value)


def _by_namespace(objects: list[Obj]) -> dict[str, list[Obj]]:
    out: dict[str, list[Obj]] = {}
    for obj in objects:
        out.setdefault(obj["metadata"].get("namespace", ""), []).append(obj)
    return out


class Workloads:
    """Deployment, ReplicaSet, StatefulSet, DaemonSet, Job and CronJob controllers."""

    def __init__(
        self, api: ObjectApi, events: EventRecorder, *, now: Callable[[], str], rng: random.Random
    ) -> None:
        self._api, self._events, self._now, self._rng = api, events, now, rng

    def _write_status(self, obj: Obj, status: Obj) -> None:
        if status != obj.get("status"):
            new = clone(obj)
            new["status"] = status
            self._api.update_object(new)

    def _create_pod(
        self, owner: Obj, template: Mapping[str, Any], name: str, component: str, **kw: Any
    ) -> None:
        namespace = owner["metadata"]["namespace"]
        pod = pod_from_template(template, name=name, namespace=namespace, owner=owner, **kw)
        self._api.create_object(pod)
        self._events.record(owner, "SuccessfulCreate", f"Created pod: {name}", component=component)

    def _delete_pod(self, owner: Obj, pod: Obj, component: str) -> None:
        meta = pod["metadata"]
        self._api.delete_object("v1", "pods", meta["namespace"], meta["name"])
        self._events.record(owner, "SuccessfulDelete", f"Deleted pod: {meta['name']}", component=component)

    # -- deployments ----------------------------------------------------------------

    def reconcile_deployments(self, deployments: list[Obj], replicasets: list[Obj]) -> None:
        for deploy in deployments:
            if "deletionTimestamp" not in deploy["metadata"]:
                self._deployment(deploy, owned(replicasets, deploy))

    def _deployment(self, deploy: Obj, sets: list[Obj]) -> None:
        meta, spec = deploy["metadata"], deploy["spec"]
        digest = template_hash(spec["template"])
        current = next((rs for rs in sets if rs["metadata"].get("labels", {}).get(_HASH) == digest), None)
        want = _replicas(deploy)
        revisions = [int((rs["metadata"].get("annotations") or {}).get(_REVISION, "0")) for rs in sets]
        if current is None:
            current = self._create_replicaset(deploy, digest, max(revisions, default=0) + 1, want)
        elif _replicas(current) != want:
            self._scale(deploy, current, want)
        for old in sets:
            if old is not current and _replicas(old) != 0:
                self._scale(deploy, old, 0)
        revision = (current["metadata"].get("annotations") or {}).get(_REVISION, "1")
        if (meta.get("annotations") or {}).get(_REVISION) != revision:
            new = clone(deploy)
            new["metadata"].setdefault("annotations", {})[_REVISION] = revision
            deploy = self._api.update_object(new)
        self._deployment_status(deploy, current, sets)

    def _create_replicaset(self, deploy: Obj, digest: str, revision: int, replicas: int) -> Obj:
        meta, spec = deploy["metadata"], deploy["spec"]
        template = clone(spec["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})[_HASH] = digest
        selector = clone(spec.get("selector") or {"matchLabels": {}})
        selector.setdefault("matchLabels", {})[_HASH] = digest
        name = f"{meta['name']}-{digest}"
        rs = self._api.create_object({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {
                    _REVISION: str(revision),
                    "deployment.kubernetes.io/desired-replicas": str(replicas),
                    "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                },
                "ownerReferences": [controller_ref(deploy)],
            },
            "spec": {"replicas": replicas, "selector": selector, "template": template},
        })
        self._events.record(deploy, "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {replicas}",
                            component="deployment-controller")
        return rs

    def _scale(self, deploy: Obj, rs: Obj, replicas: int) -> None:
        old = _replicas(rs)
        new = clone(rs)
        new["spec"]["replicas"] = replicas
        self._api.update_object(new)
        verb = "up" if replicas > old else "down"
        self._events.record(deploy, "ScalingReplicaSet",
                            f"Scaled {verb} replica set {rs['metadata']['name']} from {old} to {replicas}",
                            component="deployment-controller")

    def _deployment_status(self, deploy: Obj, current: Obj, sets: list[Obj]) -> None:
        want = _replicas(deploy)
        others = [s.get("status") or {} for s in sets if s["metadata"]["uid"] != current["metadata"]["uid"]]
        mine = current.get("status") or {}

        def total_of(key: str) -> int:
            return sum(int(s.get(key, 0)) for s in (*others, mine))

        total, ready = total_of("replicas"), total_of("readyReplicas")
        available = total_of("availableReplicas")
        updated = int(mine.get("replicas", 0))
        now = self._now()
        previous = (deploy.get("status") or {}).get("conditions") or ()
        is_available = available >= want
        name = current["metadata"]["name"]
        done = updated == want and int(mine.get("availableReplicas", 0)) == want and total == want
        status: Obj = {
            "observedGeneration": deploy["metadata"].get("generation", 1),
            "replicas": total,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": available,
            "conditions": [
                condition(previous, "Available", "True" if is_available else "False", now,
                          reason="MinimumReplicasAvailable" if is_available else "MinimumReplicasUnavailable",
                          message="Deployment has minimum availability." if is_available
                          else "Deployment does not have minimum availability."),
                condition(previous, "Progressing", "True", now,
                          reason="NewReplicaSetAvailable" if done else "ReplicaSetUpdated",
                          message=f'ReplicaSet "{name}" has successfully progressed.' if done
                          else f'ReplicaSet "{name}" is progressing.'),
            ],
        }
        if total > available:
            status["unavailableReplicas"] = total - available
        for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
            if not status[key]:
                del status[key]  # the apiserver omits zero counts
        self._write_status(deploy, status)

    # -- replicasets ----------------------------------------------------------------

    def reconcile_replicasets(self, replicasets: list[Obj], pods: list[Obj]) -> None:
        pods_by_ns = _by_namespace(pods)
        for rs in replicasets:
            if "deletionTimestamp" in rs["metadata"]:
                continue
            mine = [p for p in owned(pods_by_ns.get(rs["metadata"]["namespace"], []), rs)
                    if _phase(p) not in ("Succeeded", "Failed")]
            want = _replicas(rs)
            prefix = rs["metadata"]["name"]
            for _ in range(want - len(mine)):
                self._create_pod(rs, rs["spec"]["template"], f"{prefix}-{name_suffix(self._rng)}",
                                 "replicaset-controller")
            if len(mine) > want:
                # Like the real controller: unready and younger pods go first.
                doomed = sorted(mine, key=lambda p: (_ready(p), p["metadata"].get("creationTimestamp", "")))
                for pod in doomed[: len(mine) - want]:
                    self._delete_pod(rs, pod, "replicaset-controller")
                mine = doomed[len(mine) - want :]
            ready = sum(1 for p in mine if _ready(p))
            status: Obj = {"replicas": len(mine), "observedGeneration": rs["metadata"].get("generation", 1)}
            if mine:
                status["fullyLabeledReplicas"] = len(mine)
            if ready:
                status.update(readyReplicas=ready, availableReplicas=ready)
            self._write_status(rs, status)

    # -- statefulsets ---------------------------------------------------------------

    def reconcile_statefulsets(self, statefulsets: list[Obj], pods: list[Obj]) -> None:
        pods_by_ns = _by_namespace(pods)
        for sts in statefulsets:
            if "deletionTimestamp" not in sts["metadata"]:
                self._statefulset(sts, owned(pods_by_ns.get(sts["metadata"]["namespace"], []), sts))

    def _statefulset(self, sts: Obj, mine: list[Obj]) -> None:
        name, want = sts["metadata"]["name"], _replicas(sts)
        revision = f"{name}-{template_hash(sts['spec']['template'])}"
        by_name = {p["metadata"]["name"]: p for p in mine}
        for extra in mine:
            ordinal = extra["metadata"]["name"].rsplit("-", 1)[-1]
            if not ordinal.isdigit() or int(ordinal) >= want:
                self._delete_pod(sts, extra, "statefulset-controller")
        for index in range(want):
            pod_name = f"{name}-{index}"
            pod = by_name.get(pod_name)
            if pod is None:
                labels = {
                    "statefulset.kubernetes.io/pod-name": pod_name,
                    "apps.kubernetes.io/pod-index": str(index),
                    _REVISION_HASH: revision,
                }
                template = clone(sts["spec"]["template"])
                template["spec"]["hostname"] = pod_name
                template["spec"]["subdomain"] = sts["spec"].get("serviceName", name)
                self._create_pod(sts, template, pod_name, "statefulset-controller", labels=labels)
                break  # OrderedReady: the next ordinal waits for this one
            if not _ready(pod):
                break
        outdated = [p for p in mine if _revision(p) != revision]
        if outdated and all(_ready(p) for p in mine) and len(mine) == want:
            last = max(outdated, key=lambda p: p["metadata"]["name"])
            self._delete_pod(sts, last, "statefulset-controller")
        live = [p for p in mine if p["metadata"]["name"] in {f"{name}-{i}" for i in range(want)}]
        ready = sum(1 for p in live if _ready(p))
        updated = sum(1 for p in live if _revision(p) == revision)
        status: Obj = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(live),
            "readyReplicas": ready,
            "currentReplicas": updated,
            "updatedReplicas": updated,
            "availableReplicas": ready,
            "currentRevision": revision,
            "updateRevision": revision,
            "collisionCount": 0,
        }
        self._write_status(sts, status)

    # -- daemonsets -----------------------------------------------------------------

    def reconcile_daemonsets(self, daemonsets: list[Obj], pods: list[Obj], nodes: list[Obj]) -> None:
        pods_by_ns = _by_namespace(pods)
        for ds in daemonsets:
            if "deletionTimestamp" not in ds["metadata"]:
                self._daemonset(ds, owned(pods_by_ns.get(ds["metadata"]["namespace"], []), ds), nodes)

    def _daemonset(self, ds: Obj, mine: list[Obj], nodes: list[Obj]) -> None:
        selector = ds["spec"]["template"].get("spec", {}).get("nodeSelector") or {}
        targets = [n["metadata"]["name"] for n in nodes
                   if all((n["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())]
        digest = template_hash(ds["spec"]["template"])
        on_node: dict[str, Obj] = {}
        for pod in mine:
            node = pod["spec"].get("nodeName", "")
            current = _revision(pod) == digest
            if node not in targets or node in on_node or not current:
                self._delete_pod(ds, pod, "daemonset-controller")
            else:
                on_node[node] = pod
        for node in targets:
            if node not in on_node:
                pod_name = f"{ds['metadata']['name']}-{name_suffix(self._rng)}"
                self._create_pod(ds, ds["spec"]["template"], pod_name, "daemonset-controller",
                                 labels={_REVISION_HASH: digest}, node_name=node)
        ready = sum(1 for p in on_node.values() if _ready(p))
        status: Obj = {
            "observedGeneration": ds["metadata"].get("generation", 1),
            "desiredNumberScheduled": len(targets),
            "currentNumberScheduled": len(on_node),
            "updatedNumberScheduled": len(on_node),
            "numberReady": ready,
            "numberAvailable": ready,
            "numberMisscheduled": 0,
        }
        if len(targets) > ready:
            status["numberUnavailable"] = len(targets) - ready
        self._write_status(ds, status)

    # -- jobs -----------------------------------------------------------------------

    def reconcile_jobs(self, jobs: list[Obj], pods: list[Obj]) -> None:
        pods_by_ns = _by_namespace(pods)
        for job in jobs:
            meta = job["metadata"]
            if "deletionTimestamp" in meta or job["spec"].get("suspend"):
                continue
            conditions = (job.get("status") or {}).get("conditions") or ()
            if any(c.get("type") == "Complete" for c in conditions):
                continue
            mine = owned(pods_by_ns.get(meta["namespace"], []), job)
            succeeded = sum(1 for p in mine if _phase(p) == "Succeeded")
            active = [p for p in mine if _phase(p) not in ("Succeeded", "Failed")]
            completions = int(job["spec"].get("completions") or 1)
            parallelism = int(job["spec"].get("parallelism") or 1)
            labels = {"batch.kubernetes.io/controller-uid": meta["uid"], "controller-uid": meta["uid"],
                      "batch.kubernetes.io/job-name": meta["name"], "job-name": meta["name"]}
            for _ in range(min(parallelism, completions - succeeded) - len(active)):
                self._create_pod(job, job["spec"]["template"], f"{meta['name']}-{name_suffix(self._rng)}",
                                 "job-controller", labels=labels)
            now = self._now()
            status: Obj = dict(job.get("status") or {})
            status.setdefault("startTime", now)
            status.update(active=len(active), succeeded=succeeded, ready=sum(1 for p in active if _ready(p)),
                          terminating=0, uncountedTerminatedPods={})
            if succeeded >= completions:
                status.pop("active")
                status["completionTime"] = now
                status["conditions"] = [
                    condition((), "SuccessCriteriaMet", "True", now, reason="CompletionsReached",
                              message="Reached expected number of succeeded pods"),
                    condition((), "Complete", "True", now, reason="CompletionsReached",
                              message="Reached expected number of succeeded pods"),
                ]
                self._events.record(job, "Completed", "Job completed", component="job-controller")
            self._write_status(job, status)

    def reconcile_cronjobs(self, cronjobs: list[Obj], jobs: list[Obj]) -> None:
        """Status only: which of a CronJob's Jobs are active, and when one last succeeded."""
        for cron in cronjobs:
            mine = owned(jobs, cron)
            running = [j for j in mine if not (j.get("status") or {}).get("completionTime")]
            finished = sorted(str(j["status"]["completionTime"]) for j in mine if j not in running)
            status: Obj = dict(cron.get("status") or {})
            status.pop("active", None)
            if running:
                status["active"] = [{"apiVersion": "batch/v1", "kind": "Job", "name": j["metadata"]["name"],
                                     "namespace": j["metadata"]["namespace"], "uid": j["metadata"]["uid"]}
                                    for j in running]
            if finished:
                status["lastSuccessfulTime"] = finished[-1]
            if mine:
                status["lastScheduleTime"] = max(str(j["metadata"]["creationTimestamp"]) for j in mine)
            self._write_status(cron, status)
