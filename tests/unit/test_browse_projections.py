"""List rows decoded from real-shaped apiserver list bodies."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from periscope_core.services.projections import project_list


def _list(*items: dict[str, Any], cont: str = "", rv: str = "100") -> bytes:
    return msgspec.json.encode(
        {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": rv, "continue": cont}, "items": items}
    )


def _meta(name: str, namespace: str = "default", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{name}",
        "resourceVersion": "42",
        "creationTimestamp": "2024-05-01T10:00:00Z",
        "labels": {"app": name},
        "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {}}}],
        **extra,
    }


def _pod(name: str, *, statuses: list[dict[str, Any]], phase: str = "Running", **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name, **extra.pop("meta", {})),
        "spec": {
            "nodeName": "ip-10-0-1-5.ec2.internal",
            "containers": [{"name": s["name"], "image": "nginx:1.27"} for s in statuses],
            "initContainers": extra.pop("init_spec", []),
        },
        "status": {
            "phase": phase,
            "podIP": "10.0.1.23",
            "hostIP": "10.0.1.5",
            "containerStatuses": statuses,
            "conditions": [{"type": "Ready", "status": "True"}],
            **extra,
        },
    }


def _running(name: str, *, ready: bool = True, restarts: int = 0) -> dict[str, Any]:
    return {
        "name": name, "ready": ready, "restartCount": restarts, "image": "nginx:1.27",
        "state": {"running": {"startedAt": "2024-05-01T10:00:05Z"}},
    }


def _waiting(name: str, reason: str, restarts: int = 0) -> dict[str, Any]:
    return {
        "name": name, "ready": False, "restartCount": restarts, "image": "app:bad",
        "state": {"waiting": {"reason": reason, "message": "back-off 5m0s restarting failed container"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
    }


def test_pod_rows_show_what_kubectl_shows() -> None:
    body = _list(
        _pod("web", statuses=[_running("nginx"), _running("sidecar", restarts=2)]),
        _pod("crash", statuses=[_running("main", ready=False), _waiting("worker", "CrashLoopBackOff", 7)]),
        _pod("pull", phase="Pending", statuses=[_waiting("app", "ImagePullBackOff")]),
        cont="next-page",
        rv="1234",
    )
    page = project_list("pods", body)
    assert page.continue_ == "next-page"
    assert page.resource_version == "1234"
    web, crash, pull = page.items
    assert (web.name, web.namespace, web.status, web.ready, web.restarts) == ("web", "default", "Running", "2/2", 2)
    assert web.node == "ip-10-0-1-5.ec2.internal"
    assert web.pod_ip == "10.0.1.23"
    assert web.containers == ["nginx", "sidecar"]
    assert web.created_at == "2024-05-01T10:00:00Z"
    assert web.labels == {"app": "web"}
    assert (crash.status, crash.ready, crash.restarts, crash.phase) == ("CrashLoopBackOff", "0/2", 7, "Running")
    assert (pull.status, pull.phase) == ("ImagePullBackOff", "Pending")


def test_pod_row_json_is_camel_case_and_has_no_spec() -> None:
    page = project_list("pods", _list(_pod("web", statuses=[_running("nginx")])))
    row = msgspec.to_builtins(page)["items"][0]
    assert row["podIP"] == "10.0.1.23"
    assert row["resourceVersion"] == "42"
    assert row["createdAt"] == "2024-05-01T10:00:00Z"
    assert "managedFields" not in row
    assert "spec" not in row
    assert set(msgspec.to_builtins(page)) == {"items", "continue", "resourceVersion"}


@pytest.mark.parametrize(
    ("init_status", "expected"),
    [
        ({"state": {"waiting": {"reason": "PodInitializing"}}}, "Init:0/1"),
        ({"state": {"waiting": {"reason": "ImagePullBackOff"}}}, "Init:ImagePullBackOff"),
        ({"state": {"terminated": {"exitCode": 3}}}, "Init:ExitCode:3"),
        ({"state": {"terminated": {"exitCode": 1, "reason": "Error"}}}, "Init:Error"),
    ],
)
def test_init_container_states(init_status: dict[str, Any], expected: str) -> None:
    pod = _pod(
        "init",
        phase="Pending",
        statuses=[_waiting("app", "PodInitializing")],
        init_spec=[{"name": "migrate", "image": "migrate:1"}],
        initContainerStatuses=[{"name": "migrate", "ready": False, "restartCount": 0, **init_status}],
    )
    assert project_list("pods", _list(pod)).items[0].status == expected


def test_terminating_and_completed_pods() -> None:
    terminating = _pod("old", statuses=[_running("nginx")], meta={"deletionTimestamp": "2024-05-01T11:00:00Z"})
    done = _pod(
        "job-x",
        phase="Succeeded",
        statuses=[{"name": "job", "ready": False, "restartCount": 0,
                   "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
    )
    rows = project_list("pods", _list(terminating, done)).items
    assert [r.status for r in rows] == ["Terminating", "Completed"]


def test_workload_rows() -> None:
    deploy = {
        "metadata": _meta("api"),
        "spec": {"replicas": 3, "template": {"spec": {"containers": []}}},
        "status": {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    rs = {"metadata": _meta("api-7d9f"), "spec": {"replicas": 3}, "status": {"replicas": 3, "readyReplicas": 3,
                                                                             "availableReplicas": 3}}
    (dep,) = project_list("deployments", _list(deploy)).items
    assert (dep.replicas, dep.ready, dep.updated, dep.available) == (3, 2, 3, 2)
    (row,) = project_list("replicasets", _list(rs)).items
    assert row.updated is None
    assert msgspec.to_builtins(row)["ready"] == 3

    ds = {"metadata": _meta("fluentbit", "kube-system"), "status": {
        "desiredNumberScheduled": 5, "currentNumberScheduled": 5, "numberReady": 4,
        "updatedNumberScheduled": 5, "numberAvailable": 4}}
    (d,) = project_list("daemonsets", _list(ds)).items
    assert (d.desired, d.current, d.ready, d.updated, d.available) == (5, 5, 4, 5, 4)


def test_job_and_cronjob_rows() -> None:
    job = {"metadata": _meta("backup-28583"), "spec": {"completions": 1, "parallelism": 1},
           "status": {"succeeded": 1, "startTime": "2024-05-01T10:00:00Z",
                      "completionTime": "2024-05-01T10:01:00Z"}}
    cron = {"metadata": _meta("backup"), "spec": {"schedule": "*/5 * * * *", "suspend": True,
                                                   "jobTemplate": {"spec": {}}},
            "status": {"lastScheduleTime": "2024-05-01T10:00:00Z", "active": [{"name": "backup-28583"}]}}
    (j,) = project_list("jobs", _list(job)).items
    assert (j.completions, j.succeeded, j.failed, j.active) == (1, 1, 0, 0)
    assert msgspec.to_builtins(j)["completionTime"] == "2024-05-01T10:01:00Z"
    (c,) = project_list("cronjobs", _list(cron)).items
    assert (c.schedule, c.suspend, c.active, c.last_schedule_time) == ("*/5 * * * *", True, 1,
                                                                         "2024-05-01T10:00:00Z")


def test_service_and_node_rows() -> None:
    svc = {"metadata": _meta("web"), "spec": {
        "type": "LoadBalancer", "clusterIP": "10.100.0.10",
        "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP", "nodePort": 31080}]},
        "status": {"loadBalancer": {"ingress": [{"hostname": "a1.elb.amazonaws.com"}]}}}
    (s,) = project_list("services", _list(svc)).items
    out = msgspec.to_builtins(s)
    assert out["clusterIP"] == "10.100.0.10"
    assert out["externalIPs"] == ["a1.elb.amazonaws.com"]
    assert out["ports"] == [{"port": 80, "protocol": "TCP", "name": "http", "targetPort": "http",
                             "nodePort": 31080}]

    node = {"metadata": _meta("ip-10-0-1-5", "", labels={
        "node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/worker": ""}),
        "spec": {"unschedulable": True, "taints": [{"key": "node.kubernetes.io/unschedulable"}]},
        "status": {"conditions": [{"type": "MemoryPressure", "status": "False"},
                                  {"type": "Ready", "status": "True"}],
                   "addresses": [{"type": "InternalIP", "address": "10.0.1.5"}],
                   "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                   "nodeInfo": {"kubeletVersion": "v1.31.2-eks-94953ac"}}}
    (n,) = project_list("nodes", _list(node)).items
    assert (n.ready, n.status, n.roles) == (True, "Ready,SchedulingDisabled", ["control-plane", "worker"])
    assert (n.kubelet_version, n.unschedulable, n.internal_ip) == ("v1.31.2-eks-94953ac", True, "10.0.1.5")
    assert n.capacity["memory"] == "16Gi"


def test_secret_and_configmap_rows_name_keys_but_never_values() -> None:
    secret = {"metadata": _meta("db"), "type": "Opaque", "data": {"password": "aHVudGVyMg==", "user": "YWRtaW4="}}
    cm = {"metadata": _meta("conf"), "data": {"app.yaml": "a: 1\n"}, "binaryData": {"logo.png": "iVBORw0K"}}
    page = project_list("secrets", _list(secret))
    (row,) = page.items
    assert (row.type, row.keys) == ("Opaque", ["password", "user"])
    encoded = msgspec.json.encode(page)
    assert b"aHVudGVyMg" not in encoded
    assert b"YWRtaW4" not in encoded
    (c,) = project_list("configmaps", _list(cm)).items
    assert c.keys == ["app.yaml", "logo.png"]
    assert b"a: 1" not in msgspec.json.encode(c)


def test_event_rows_and_namespace_rows() -> None:
    event = {"metadata": _meta("web.17c1"), "type": "Warning", "reason": "BackOff",
             "message": "Back-off restarting failed container", "count": 12,
             "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default", "uid": "u1"},
             "firstTimestamp": "2024-05-01T10:00:00Z", "lastTimestamp": "2024-05-01T10:30:00Z",
             "eventTime": None, "source": {"component": "kubelet"}}
    modern = {"metadata": _meta("web.17c2"), "type": "Normal", "reason": "Scheduled", "message": "assigned",
              "involvedObject": {"kind": "Pod", "name": "web"}, "firstTimestamp": None, "lastTimestamp": None,
              "eventTime": "2024-05-01T09:59:59.123456Z", "reportingComponent": "default-scheduler"}
    old, new = project_list("events", _list(event, modern)).items
    assert (old.type, old.reason, old.count, old.last_timestamp, old.source) == (
        "Warning", "BackOff", 12, "2024-05-01T10:30:00Z", "kubelet")
    assert old.involved_object.kind == "Pod"
    assert (new.count, new.last_timestamp, new.source) == (1, "2024-05-01T09:59:59.123456Z", "default-scheduler")

    ns = {"metadata": _meta("team-a", ""), "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
    assert project_list("namespaces", _list(ns)).items[0].phase == "Active"


def test_other_kinds_get_the_common_fields_and_empty_lists_work() -> None:
    role = {"metadata": _meta("reader"), "rules": [{"verbs": ["get"], "resources": ["pods"]}]}
    (row,) = project_list("roles", _list(role)).items
    assert set(msgspec.to_builtins(row)) == {"name", "namespace", "uid", "resourceVersion", "createdAt", "labels"}
    empty = project_list("pods", b'{"kind":"PodList","metadata":{"resourceVersion":"7"},"items":null}')
    assert (empty.items, empty.resource_version, empty.continue_) == ([], "7", "")
