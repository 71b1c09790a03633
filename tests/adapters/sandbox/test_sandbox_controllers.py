"""The sandbox control plane: workloads become pods, pods get nodes, run, log and misbehave on cue."""

from __future__ import annotations

import random
from typing import Any

import pytest

from periscope_adapters.sandbox import SIMULATE, ApiServer, Controllers
from periscope_adapters.sandbox._churn import Churn
from periscope_adapters.sandbox._events import EventRecorder
from periscope_adapters.sandbox._manifests import (
    container,
    daemon_set,
    deployment,
    node,
    pod,
    service,
    stateful_set,
)
from periscope_adapters.sandbox._objects import clone

Obj = dict[str, Any]


class Cluster:
    """An engine and its controllers on a clock the test moves by hand."""

    def __init__(self, nodes: int = 2) -> None:
        self.api = ApiServer(name="test")
        self.time = 1000.0
        self.controllers = Controllers(self.api, now=self.api.store.now, clock=lambda: self.time, seed=1)
        for i in range(nodes):
            ip = f"10.0.0.{i}"
            self.api.create_object(node(f"node-{i}", zone="us-east-1a", instance_type="m6i.large", ip=ip))

    def run(self, seconds: float = 0.0, passes: int = 4) -> None:
        """Let ``seconds`` pass with the controllers running: passes now, then passes at the end."""
        for _ in range(passes):
            self.controllers.reconcile()
        self.time += seconds
        for _ in range(passes):
            self.controllers.reconcile()

    def pods(self, namespace: str = "default", **labels: str) -> list[Obj]:
        return [p for p in self.api.list_objects("", "pods", namespace)
                if all(p["metadata"].get("labels", {}).get(k) == v for k, v in labels.items())]

    def get(self, api_version: str, kind: str, name: str, namespace: str = "default") -> Obj:
        obj = self.api.get_object(api_version, kind, namespace, name)
        assert obj is not None
        return obj

    def events(self, reason: str) -> list[Obj]:
        return [e for e in self.api.list_objects("", "events") if e["reason"] == reason]


def phases(pods: list[Obj]) -> list[str]:
    return sorted(p.get("status", {}).get("phase", "") for p in pods)


def test_deployment_rolls_out_scales_and_restarts() -> None:
    c = Cluster()
    c.api.create_object(deployment("default", "web", [container("nginx", "nginx:1.27.3")], replicas=3))
    c.run()
    assert phases(c.pods(app="web")) == ["Pending"] * 3  # ContainerCreating until startup passes
    c.run(1.0)
    assert phases(c.pods(app="web")) == ["Running"] * 3
    status = c.get("apps/v1", "Deployment", "web")["status"]
    assert (status["readyReplicas"], status["availableReplicas"], status["updatedReplicas"]) == (3, 3, 3)
    assert status["observedGeneration"] == 1

    scaled = clone(c.get("apps/v1", "Deployment", "web"))
    scaled["spec"]["replicas"] = 1
    c.api.update_object(scaled)
    c.run(1.0)
    assert len(c.pods(app="web")) == 1
    assert c.get("apps/v1", "Deployment", "web")["status"]["observedGeneration"] == 2

    before = {p["metadata"]["name"] for p in c.pods(app="web")}
    restarted = clone(c.get("apps/v1", "Deployment", "web"))
    restarted["spec"]["template"]["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": "now"}
    c.api.update_object(restarted)
    c.run(1.0)
    after = c.pods(app="web")
    assert len(after) == 1
    assert before.isdisjoint(p["metadata"]["name"] for p in after)
    sets = {rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs["spec"]["replicas"]
            for rs in c.api.list_objects("apps", "replicasets", "default")}
    assert sets == {"1": 0, "2": 1}


def test_statefulset_creates_ordinals_in_order() -> None:
    c = Cluster()
    c.api.create_object(stateful_set("default", "db", [container("pg", "postgres:16")], replicas=3))
    c.run()
    assert [p["metadata"]["name"] for p in c.pods()] == ["db-0"]  # db-1 waits for db-0 to be Ready
    for _ in range(3):
        c.run(1.0)
    pods = c.pods()
    assert [p["metadata"]["name"] for p in pods] == ["db-0", "db-1", "db-2"]
    assert [p["spec"]["hostname"] for p in pods] == ["db-0", "db-1", "db-2"]
    assert c.get("apps/v1", "StatefulSet", "db")["status"]["readyReplicas"] == 3


def test_daemonset_follows_the_nodes() -> None:
    c = Cluster(nodes=2)
    c.api.create_object(daemon_set("default", "agent", [container("a", "busybox:1.36", port=None)]))
    c.run(1.0)
    assert sorted(p["spec"]["nodeName"] for p in c.pods()) == ["node-0", "node-1"]
    c.api.create_object(node("node-2", zone="us-east-1b", instance_type="m6i.large", ip="10.0.0.9"))
    c.run(1.0)
    assert sorted(p["spec"]["nodeName"] for p in c.pods()) == ["node-0", "node-1", "node-2"]
    assert c.get("apps/v1", "DaemonSet", "agent")["status"]["numberReady"] == 3


def test_job_runs_to_completion() -> None:
    c = Cluster()
    c.api.create_object({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
                         "spec": {"template": {"spec": {"restartPolicy": "Never",
                                                        "containers": [container("w", "busybox:1.36")]}}}})
    c.run(1.0)
    assert phases(c.pods()) == ["Running"]
    c.run(3.0)
    assert phases(c.pods()) == ["Succeeded"]
    status = c.get("batch/v1", "Job", "once")["status"]
    assert status["succeeded"] == 1
    assert [cond["type"] for cond in status["conditions"]] == ["SuccessCriteriaMet", "Complete"]


def test_a_pod_nothing_fits_stays_pending_until_a_node_fits() -> None:
    c = Cluster()
    trainer = container("t", "pytorch", extra_requests={"nvidia.com/gpu": "1"})
    c.api.create_object(pod("default", "gpu", [trainer]))
    c.run(1.0)
    c.run(1.0)
    (stuck,) = c.pods()
    assert stuck["status"]["phase"] == "Pending"
    assert stuck["status"]["conditions"][0]["reason"] == "Unschedulable"
    assert "nodeName" not in stuck["spec"]
    assert len(c.events("FailedScheduling")) == 1
    c.api.create_object(node("gpu-1", zone="us-east-1a", instance_type="g5.xlarge", ip="10.0.0.50", gpus=1))
    c.run(1.0)
    (placed,) = c.pods()
    assert (placed["spec"]["nodeName"], placed["status"]["phase"]) == ("gpu-1", "Running")


def test_running_pods_get_ips_status_and_logs() -> None:
    c = Cluster()
    c.api.create_object(pod("default", "web", [container("nginx", "nginx:1.27.3")]))
    c.run(1.0)
    (web,) = c.pods()
    status = web["status"]
    assert status["podIP"].startswith("10.244.")
    assert {cond["type"]: cond["status"] for cond in status["conditions"]}["Ready"] == "True"
    assert status["containerStatuses"][0]["state"]["running"]
    lines = c.api.logs.lines("default", "web", "nginx")
    assert lines is not None
    assert "start worker processes" in lines[-1].text
    c.run(5.0)
    assert len(c.api.logs.lines("default", "web", "nginx") or []) > len(lines)


@pytest.mark.parametrize("behaviour", ["CrashLoopBackOff", "ImagePullBackOff"])
def test_simulated_failures(behaviour: str) -> None:
    c = Cluster()
    c.api.create_object(deployment("default", "bad", [container("app", "ghcr.io/acme/bad:1")], replicas=1,
                                   annotations={SIMULATE: behaviour}))
    for _ in range(3):
        c.run(11.0)
    (bad,) = c.pods()
    state = bad["status"]["containerStatuses"][0]
    assert state["state"]["waiting"]["reason"] == behaviour
    assert {cond["type"]: cond["status"] for cond in bad["status"]["conditions"]}["Ready"] == "False"
    if behaviour == "CrashLoopBackOff":
        assert state["restartCount"] == 2
        assert state["lastState"]["terminated"]["exitCode"] == 1
        previous = c.api.logs.lines("default", bad["metadata"]["name"], "app", previous=True) or []
        assert any(line.text.startswith("panic:") for line in previous)
    else:
        assert bad["status"]["phase"] == "Pending"
        assert "not found" in c.events("Failed")[0]["message"]


def test_services_get_cluster_ips_and_namespaces_become_active() -> None:
    c = Cluster()
    c.api.create_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    c.api.create_object(service("team", "web"))
    c.api.create_object(service("team", "api"))
    c.run()
    ips = {s["metadata"]["name"]: s["spec"]["clusterIP"] for s in c.api.list_objects("", "services", "team")}
    assert len(set(ips.values())) == 2
    assert all(ip.startswith("10.96.") for ip in ips.values())
    assert c.get("v1", "Namespace", "team", "")["status"]["phase"] == "Active"
    assert c.get("v1", "ServiceAccount", "default", "team")


def test_events_are_bounded() -> None:
    c = Cluster()
    target = c.api.create_object(pod("default", "noisy", [container("c", "busybox")]))
    recorder = EventRecorder(c.api, now=c.api.store.now, limit=3)
    for i in range(5):
        recorder.record(target, "Tick", f"tick {i}", component="test")
    assert sorted(e["message"] for e in c.events("Tick")) == ["tick 2", "tick 3", "tick 4"]


def test_churn_starts_and_reaps_short_lived_pods() -> None:
    c = Cluster()
    churn = Churn(c.api, c.controllers.events, rng=random.Random(3), lifetime=(5.0, 5.0), max_pods=2)
    churn.step(0.0)
    churn.step(1.0)
    churn.step(2.0)
    assert len(c.pods()) == 2  # bounded
    churn.step(6.5)
    names = [p["metadata"]["name"] for p in c.pods()]
    assert len(names) == 1
    assert names[0].startswith("smoke-test-")
