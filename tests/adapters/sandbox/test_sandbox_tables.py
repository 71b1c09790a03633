"""Tables for ``kubectl get``: the columns and cells kube-apiserver's printers produce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from periscope_adapters.sandbox._catalog import Catalog, ResourceType
from periscope_adapters.sandbox._print_util import human_duration
from periscope_adapters.sandbox._tables import to_table

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
CATALOG = Catalog.builtin()


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def rt(plural: str, group: str = "", version: str = "v1") -> ResourceType:
    found = CATALOG.lookup(group, version, plural)
    assert found is not None
    return found


def table(resource: ResourceType, *objects: dict[str, Any], **options: Any) -> dict[str, Any]:
    return to_table(resource, list(objects), now=NOW, **options)


def row(resource: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """Cells by column name, the way `kubectl get -o wide` lines them up."""
    result = table(resource, obj)
    names = [c["name"] for c in result["columnDefinitions"]]
    [cells] = [r["cells"] for r in result["rows"]]
    assert len(cells) == len(names)
    return dict(zip(names, cells, strict=True))


def meta(name: str = "x", **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": "default", "creationTimestamp": ago(days=3), **extra}


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=0), "0s"),
        (timedelta(seconds=-1), "0s"),
        (timedelta(seconds=-3), "<invalid>"),
        (timedelta(seconds=59), "59s"),
        (timedelta(seconds=119), "119s"),
        (timedelta(minutes=2), "2m"),
        (timedelta(minutes=3, seconds=2), "3m2s"),
        (timedelta(minutes=9, seconds=59), "9m59s"),
        (timedelta(minutes=10, seconds=30), "10m"),
        (timedelta(minutes=179), "179m"),
        (timedelta(hours=3), "3h"),
        (timedelta(hours=3, minutes=5), "3h5m"),
        (timedelta(hours=8, minutes=5), "8h"),
        (timedelta(hours=47), "47h"),
        (timedelta(hours=48), "2d"),
        (timedelta(days=2, hours=3), "2d3h"),
        (timedelta(days=7, hours=23), "7d23h"),
        (timedelta(days=8, hours=3), "8d"),
        (timedelta(days=45), "45d"),
        (timedelta(days=729), "729d"),
        (timedelta(days=730), "2y"),
        (timedelta(days=760), "2y30d"),
        (timedelta(days=365 * 9), "9y"),
    ],
)
def test_human_duration_matches_apimachinery(delta, text):
    assert human_duration(delta) == text


def test_pod_columns_and_metadata_rows():
    result = table(
        rt("pods"),
        {"metadata": meta("web"), "spec": {"containers": [{"name": "a"}]}},
        resource_version="42",
        continue_token="next",
    )
    assert (result["kind"], result["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert result["metadata"] == {"resourceVersion": "42", "continue": "next"}
    assert [(c["name"], c["priority"]) for c in result["columnDefinitions"]] == [
        ("Name", 0),
        ("Ready", 0),
        ("Status", 0),
        ("Restarts", 0),
        ("Age", 0),
        ("IP", 1),
        ("Node", 1),
        ("Nominated Node", 1),
        ("Readiness Gates", 1),
    ]
    assert result["columnDefinitions"][0]["format"] == "name"
    assert set(result["columnDefinitions"][1]) == {"name", "type", "format", "description", "priority"}
    assert result["rows"][0]["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta("web"),
    }


def test_include_object_modes():
    pod = {"metadata": meta("web"), "spec": {}}
    assert table(rt("pods"), pod, include_object="Object")["rows"][0]["object"] == pod
    assert "object" not in table(rt("pods"), pod, include_object="None")["rows"][0]
    assert table(rt("pods"), pod, include_object="")["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert table(rt("pods"), pod)["metadata"] == {}
    with pytest.raises(ValueError, match="includeObject"):
        table(rt("pods"), pod, include_object="Everything")


def running(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "ready": True,
        "restartCount": 0,
        "state": {"running": {"startedAt": ago(days=1)}},
        **extra,
    }


def pod(
    *statuses: dict[str, Any],
    phase: str = "Running",
    init: tuple[dict[str, Any], ...] = (),
    init_specs: tuple[dict[str, Any], ...] = (),
    conditions: tuple[dict[str, Any], ...] = (),
    metadata: dict[str, Any] | None = None,
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "metadata": metadata or meta("p"),
        "spec": {
            "containers": [{"name": s["name"], "image": "img"} for s in statuses],
            "initContainers": list(init_specs),
            **(spec or {}),
        },
        "status": {
            "phase": phase,
            "containerStatuses": list(statuses),
            "initContainerStatuses": list(init),
            "conditions": list(conditions),
            **(status or {}),
        },
    }


def test_running_pod():
    cells = row(
        rt("pods"), pod(running("a"), running("b"), spec={"nodeName": "node-1"}, status={"podIP": "10.0.0.7"})
    )
    assert cells == {
        "Name": "p",
        "Ready": "2/2",
        "Status": "Running",
        "Restarts": "0",
        "Age": "3d",
        "IP": "10.0.0.7",
        "Node": "node-1",
        "Nominated Node": "<none>",
        "Readiness Gates": "<none>",
    }


def test_crash_looping_pod_shows_restarts_with_the_last_one():
    crashing = {
        "name": "a",
        "ready": False,
        "restartCount": 3,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(minutes=2)}},
    }
    cells = row(rt("pods"), pod(crashing))
    assert (cells["Ready"], cells["Status"], cells["Restarts"]) == ("0/1", "CrashLoopBackOff", "3 (2m ago)")
    # A termination without a restart (the container was replaced, not restarted) shows no time.
    replaced = {**crashing, "restartCount": 0}
    assert row(rt("pods"), pod(replaced))["Restarts"] == "0"


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ({"waiting": {"reason": "ImagePullBackOff"}}, "ImagePullBackOff"),
        ({"waiting": {"reason": "ContainerCreating"}}, "ContainerCreating"),
        ({"terminated": {"exitCode": 0, "reason": "Completed"}}, "Completed"),
        ({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}, "OOMKilled"),
        ({"terminated": {"exitCode": 2}}, "ExitCode:2"),
        ({"terminated": {"exitCode": 0, "signal": 9}}, "Signal:9"),
    ],
)
def test_container_states_become_the_pod_status(state, status):
    assert row(rt("pods"), pod({"name": "a", "ready": False, "state": state}))["Status"] == status


def test_completed_pod_carries_a_completed_row_condition():
    result = table(
        rt("pods"),
        pod(
            {"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}, phase="Succeeded"
        ),
    )
    assert result["rows"][0]["cells"][2] == "Completed"
    assert result["rows"][0]["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]


def test_completed_container_next_to_a_running_one_reads_as_running_or_not_ready():
    done = {"name": "b", "ready": False, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
    ready = ({"type": "Ready", "status": "True"},)
    assert row(rt("pods"), pod(running("a"), done, conditions=ready))["Status"] == "Running"
    assert row(rt("pods"), pod(running("a"), done))["Status"] == "NotReady"


def test_terminating_and_unknown_pods():
    deleting = meta("p", deletionTimestamp=ago(seconds=5))
    assert row(rt("pods"), pod(running("a"), metadata=deleting))["Status"] == "Terminating"
    lost = pod(running("a"), metadata=deleting, status={"reason": "NodeLost"})
    assert row(rt("pods"), lost)["Status"] == "Unknown"
    finished = pod(
        {"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
        phase="Succeeded",
        metadata=deleting,
    )
    assert row(rt("pods"), finished)["Status"] == "Completed"


def test_initializing_pods():
    init_spec = ({"name": "setup"}, {"name": "migrate"})
    waiting = {"name": "setup", "state": {"waiting": {"reason": "PodInitializing"}}}
    assert (
        row(
            rt("pods"),
            pod({"name": "a", "state": {}}, init=(waiting,), init_specs=init_spec, phase="Pending"),
        )["Status"]
        == "Init:0/2"
    )
    crashing = {"name": "setup", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
    cells = row(
        rt("pods"), pod({"name": "a", "state": {}}, init=(crashing,), init_specs=init_spec, phase="Pending")
    )
    assert (cells["Status"], cells["Restarts"]) == ("Init:CrashLoopBackOff", "4")
    failed = {"name": "setup", "state": {"terminated": {"exitCode": 3}}}
    assert (
        row(
            rt("pods"), pod({"name": "a", "state": {}}, init=(failed,), init_specs=init_spec, phase="Pending")
        )["Status"]
        == "Init:ExitCode:3"
    )


def test_sidecar_containers_count_towards_ready():
    sidecar_spec = ({"name": "proxy", "restartPolicy": "Always"},)
    sidecar = {
        "name": "proxy",
        "started": True,
        "ready": True,
        "restartCount": 1,
        "state": {"running": {}},
        "lastState": {"terminated": {"finishedAt": ago(hours=1)}},
    }
    cells = row(
        rt("pods"),
        pod(
            running("a"),
            init=(sidecar,),
            init_specs=sidecar_spec,
            conditions=({"type": "Initialized", "status": "True"},),
        ),
    )
    assert (cells["Ready"], cells["Status"], cells["Restarts"]) == ("2/2", "Running", "1 (60m ago)")


def test_scheduling_gated_pod_and_readiness_gates():
    gated = pod(
        phase="Pending",
        conditions=({"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"},),
    )
    assert row(rt("pods"), gated)["Status"] == "SchedulingGated"
    gates = {"readinessGates": [{"conditionType": "lb/ready"}, {"conditionType": "db/ready"}]}
    gated_ready = pod(running("a"), spec=gates, conditions=({"type": "lb/ready", "status": "True"},))
    assert row(rt("pods"), gated_ready)["Readiness Gates"] == "1/2"


TEMPLATE = {"spec": {"containers": [{"name": "app", "image": "nginx:1"}, {"name": "log", "image": "fluent"}]}}


def test_deployment_row():
    deployment = {
        "metadata": meta("web"),
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    assert row(rt("deployments", "apps"), deployment) == {
        "Name": "web",
        "Ready": "2/3",
        "Up-to-date": 3,
        "Available": 2,
        "Age": "3d",
        "Containers": "app,log",
        "Images": "nginx:1,fluent",
        "Selector": "app=web",
    }


def test_replica_set_stateful_set_and_daemon_set_rows():
    selector = {
        "matchLabels": {"b": "2", "a": "1"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["web", "api"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    }
    replica_set = {
        "metadata": meta("web-1"),
        "spec": {"replicas": 2, "selector": selector, "template": TEMPLATE},
        "status": {"replicas": 2, "readyReplicas": 1},
    }
    cells = row(rt("replicasets", "apps"), replica_set)
    assert [cells[c] for c in ("Desired", "Current", "Ready")] == [2, 2, 1]
    assert cells["Selector"] == "a=1,b=2,!canary,tier in (api,web)"
    stateful = {
        "metadata": meta("db"),
        "spec": {"replicas": 3, "template": TEMPLATE},
        "status": {"readyReplicas": 3},
    }
    assert row(rt("statefulsets", "apps"), stateful)["Ready"] == "3/3"
    daemon = {
        "metadata": meta("agent"),
        "spec": {"template": {"spec": {"nodeSelector": {"os": "linux"}}}},
        "status": {
            "desiredNumberScheduled": 4,
            "currentNumberScheduled": 4,
            "numberReady": 3,
            "updatedNumberScheduled": 4,
            "numberAvailable": 3,
        },
    }
    cells = row(rt("daemonsets", "apps"), daemon)
    assert [cells[c] for c in ("Desired", "Current", "Ready", "Up-to-date", "Available")] == [4, 4, 3, 4, 3]
    assert (cells["Node Selector"], cells["Selector"]) == ("os=linux", "<none>")


def test_job_rows():
    complete = {
        "metadata": meta("pi"),
        "spec": {"completions": 1},
        "status": {
            "succeeded": 1,
            "startTime": ago(minutes=5),
            "completionTime": ago(minutes=4, seconds=55),
            "conditions": [{"type": "Complete", "status": "True"}],
        },
    }
    cells = row(rt("jobs", "batch"), complete)
    assert (cells["Status"], cells["Completions"], cells["Duration"]) == ("Complete", "1/1", "5s")
    parallel = {
        "metadata": meta("batch"),
        "spec": {"parallelism": 3},
        "status": {"startTime": ago(seconds=40)},
    }
    cells = row(rt("jobs", "batch"), parallel)
    assert (cells["Status"], cells["Completions"], cells["Duration"]) == ("Running", "0/1 of 3", "40s")
    failed = {
        "metadata": meta("f"),
        "spec": {},
        "status": {"conditions": [{"type": "Failed", "status": "True"}]},
    }
    assert row(rt("jobs", "batch"), failed)["Status"] == "Failed"
    suspended = {
        "metadata": meta("s"),
        "spec": {"suspend": True},
        "status": {"conditions": [{"type": "Suspended", "status": "True"}]},
    }
    assert row(rt("jobs", "batch"), suspended)["Status"] == "Suspended"


def test_cron_job_row():
    cron = {
        "metadata": meta("nightly"),
        "spec": {"schedule": "0 3 * * *", "suspend": False, "jobTemplate": {"spec": {"template": TEMPLATE}}},
        "status": {"active": [{"name": "nightly-1"}], "lastScheduleTime": ago(hours=9)},
    }
    cells = row(rt("cronjobs", "batch"), cron)
    assert [cells[c] for c in ("Schedule", "Timezone", "Suspend", "Active", "Last Schedule")] == [
        "0 3 * * *",
        "<none>",
        "False",
        1,
        "9h",
    ]


@pytest.mark.parametrize(
    ("spec", "status", "expected"),
    [
        (
            {"type": "ClusterIP", "clusterIP": "10.96.0.1", "ports": [{"port": 443, "protocol": "TCP"}]},
            {},
            ("ClusterIP", "10.96.0.1", "<none>", "443/TCP"),
        ),
        (
            {"clusterIP": "None", "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]},
            {},
            ("ClusterIP", "None", "<none>", "53/UDP,53/TCP"),
        ),
        (
            {"type": "NodePort", "clusterIPs": ["10.96.0.9"], "ports": [{"port": 80, "nodePort": 30080}]},
            {},
            ("NodePort", "10.96.0.9", "<none>", "80:30080/TCP"),
        ),
        (
            {"type": "LoadBalancer", "clusterIP": "10.96.0.2", "ports": [{"port": 80, "nodePort": 31000}]},
            {},
            ("LoadBalancer", "10.96.0.2", "<pending>", "80:31000/TCP"),
        ),
        (
            {"type": "LoadBalancer", "clusterIP": "10.96.0.2"},
            {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}, {"ip": "203.0.113.9"}]}},
            ("LoadBalancer", "10.96.0.2", "203.0.113.9,lb.example.com", "<none>"),
        ),
        (
            {"type": "ExternalName", "externalName": "db.example.com"},
            {},
            ("ExternalName", "<none>", "db.example.com", "<none>"),
        ),
    ],
)
def test_service_rows(spec, status, expected):
    cells = row(rt("services"), {"metadata": meta("svc"), "spec": spec, "status": status})
    assert (cells["Type"], cells["Cluster-IP"], cells["External-IP"], cells["Port(s)"]) == expected


def test_node_rows():
    node = {
        "metadata": meta(
            "n1", labels={"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "edge"}
        ),
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "nodeInfo": {"kubeletVersion": "v1.31.4", "osImage": "Bottlerocket"},
            "addresses": [{"type": "InternalIP", "address": "192.0.2.4"}],
        },
    }
    assert row(rt("nodes"), node) == {
        "Name": "n1",
        "Status": "Ready,SchedulingDisabled",
        "Roles": "control-plane,edge",
        "Age": "3d",
        "Version": "v1.31.4",
        "Internal-IP": "192.0.2.4",
        "External-IP": "<none>",
        "OS-Image": "Bottlerocket",
        "Kernel-Version": "<unknown>",
        "Container-Runtime": "<unknown>",
    }
    not_ready = {"metadata": meta("n2"), "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}
    assert row(rt("nodes"), not_ready)["Status"] == "NotReady"
    assert row(rt("nodes"), {"metadata": meta("n3")})["Status"] == "Unknown"
    assert row(rt("nodes"), {"metadata": meta("n3")})["Roles"] == "<none>"


def test_event_rows_for_both_event_apis():
    core = {
        "metadata": meta("web.1"),
        "type": "Warning",
        "reason": "BackOff",
        "message": " Back-off restarting \n",
        "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{app}"},
        "source": {"component": "kubelet", "host": "n1"},
        "count": 4,
        "firstTimestamp": ago(hours=2),
        "lastTimestamp": ago(minutes=1),
    }
    assert row(rt("events"), core) == {
        "Last Seen": "60s",
        "Type": "Warning",
        "Reason": "BackOff",
        "Object": "pod/web",
        "Subobject": "spec.containers{app}",
        "Source": "kubelet, n1",
        "Message": "Back-off restarting",
        "First Seen": "120m",
        "Count": 4,
        "Name": "web.1",
    }
    new_api = {
        "metadata": meta("np.1"),
        "type": "Normal",
        "reason": "Scheduled",
        "note": "assigned",
        "regarding": {"kind": "Node", "name": "n1"},
        "reportingController": "karpenter",
        "eventTime": ago(seconds=30),
    }
    cells = row(rt("events", "events.k8s.io"), new_api)
    assert [cells[c] for c in ("Last Seen", "Object", "Message", "Source", "Count")] == [
        "30s",
        "node/n1",
        "assigned",
        "karpenter",
        1,
    ]


def test_config_and_storage_rows():
    assert (
        row(
            rt("configmaps"),
            {"metadata": meta("c"), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}},
        )["Data"]
        == 3
    )
    assert row(
        rt("secrets"), {"metadata": meta("s"), "type": "kubernetes.io/tls", "data": {"tls.crt": "x"}}
    ) == {"Name": "s", "Type": "kubernetes.io/tls", "Data": 1, "Age": "3d"}
    assert row(rt("serviceaccounts"), {"metadata": meta("default")})["Secrets"] == 0
    claim = {
        "metadata": meta("data"),
        "spec": {"volumeName": "pv-1", "storageClassName": "gp3"},
        "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"]},
    }
    assert row(rt("persistentvolumeclaims"), claim) == {
        "Name": "data",
        "Status": "Bound",
        "Volume": "pv-1",
        "Capacity": "10Gi",
        "Access Modes": "RWO",
        "StorageClass": "gp3",
        "VolumeAttributesClass": "<unset>",
        "Age": "3d",
        "VolumeMode": "Filesystem",
    }
    volume = {
        "metadata": meta("pv-1"),
        "spec": {
            "capacity": {"storage": "10Gi"},
            "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": "gp3",
            "claimRef": {"namespace": "default", "name": "data"},
        },
        "status": {"phase": "Bound"},
    }
    cells = row(rt("persistentvolumes"), volume)
    assert [cells[c] for c in ("Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim")] == [
        "10Gi",
        "RWO,RWX",
        "Delete",
        "Bound",
        "default/data",
    ]
    default_class = {
        "metadata": meta("gp3", annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
        "provisioner": "ebs.csi.aws.com",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }
    assert row(rt("storageclasses", "storage.k8s.io"), default_class) == {
        "Name": "gp3 (default)",
        "Provisioner": "ebs.csi.aws.com",
        "ReclaimPolicy": "Delete",
        "VolumeBindingMode": "WaitForFirstConsumer",
        "AllowVolumeExpansion": True,
        "Age": "3d",
    }


def test_networking_rows():
    ingress = {
        "metadata": meta("web"),
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["a.example.com"]}],
            "rules": [
                {"host": "a.example.com"},
                {},
                {"host": "b.example.com"},
                {"host": "c.example.com"},
                {"host": "d.example.com"},
            ],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.5"}]}},
    }
    assert row(rt("ingresses", "networking.k8s.io"), ingress) == {
        "Name": "web",
        "Class": "nginx",
        "Hosts": "a.example.com,b.example.com,c.example.com + 2 more...",
        "Address": "203.0.113.5",
        "Ports": "80, 443",
        "Age": "3d",
    }
    slice_ = {
        "metadata": meta("web-abc"),
        "addressType": "IPv4",
        "ports": [{"port": 80}, {"name": "metrics"}],
        "endpoints": [{"addresses": [f"10.0.0.{i}"]} for i in range(5)],
    }
    cells = row(rt("endpointslices", "discovery.k8s.io"), slice_)
    assert (cells["Ports"], cells["Endpoints"]) == ("80,metrics", "10.0.0.0,10.0.0.1,10.0.0.2 + 2 more...")
    endpoints = {
        "metadata": meta("web"),
        "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}],
    }
    assert row(rt("endpoints"), endpoints)["Endpoints"] == "10.0.0.1:80"
    assert row(rt("endpoints"), {"metadata": meta("none")})["Endpoints"] == "<none>"
    policy = {"metadata": meta("deny"), "spec": {"podSelector": {}}}
    assert row(rt("networkpolicies", "networking.k8s.io"), policy)["Pod-Selector"] == "<none>"


def test_policy_and_scaling_rows():
    budget = {"metadata": meta("web"), "spec": {"minAvailable": "50%"}, "status": {"disruptionsAllowed": 1}}
    assert row(rt("poddisruptionbudgets", "policy"), budget) == {
        "Name": "web",
        "Min Available": "50%",
        "Max Unavailable": "N/A",
        "Allowed Disruptions": 1,
        "Age": "3d",
    }
    hpa = {
        "metadata": meta("web"),
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
                }
            ],
        },
        "status": {
            "currentReplicas": 3,
            "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 42}}}
            ],
        },
    }
    assert row(rt("horizontalpodautoscalers", "autoscaling", "v2"), hpa) == {
        "Name": "web",
        "Reference": "Deployment/web",
        "Targets": "42%/80%",
        "MinPods": "2",
        "MaxPods": 10,
        "Replicas": 3,
        "Age": "3d",
    }


def test_access_control_rows():
    binding = {
        "metadata": meta("view"),
        "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [
            {"kind": "User", "name": "alice"},
            {"kind": "Group", "name": "devs"},
            {"kind": "ServiceAccount", "namespace": "ci", "name": "deployer"},
        ],
    }
    assert row(rt("rolebindings", "rbac.authorization.k8s.io"), binding) == {
        "Name": "view",
        "Role": "ClusterRole/view",
        "Age": "3d",
        "Users": "alice",
        "Groups": "devs",
        "ServiceAccounts": "ci/deployer",
    }


@pytest.mark.parametrize(
    ("plural", "group"),
    [
        ("roles", "rbac.authorization.k8s.io"),
        ("clusterroles", "rbac.authorization.k8s.io"),
        ("limitranges", ""),
        ("customresourcedefinitions", "apiextensions.k8s.io"),
    ],
)
def test_builtin_kinds_without_a_printer_get_name_and_created_at(plural, group):
    result = table(rt(plural, group), {"metadata": meta("x", creationTimestamp="2024-05-01T10:00:00Z")})
    assert [(c["name"], c["type"]) for c in result["columnDefinitions"]] == [
        ("Name", "string"),
        ("Created At", "date"),
    ]
    assert result["rows"][0]["cells"] == ["x", "2024-05-01T10:00:00Z"]


def test_namespace_and_misc_rows():
    assert (
        row(rt("namespaces"), {"metadata": meta("team"), "status": {"phase": "Terminating"}})["Status"]
        == "Terminating"
    )
    quota = {
        "metadata": meta("q"),
        "status": {
            "hard": {"requests.cpu": "4", "limits.memory": "8Gi", "pods": "10"},
            "used": {"requests.cpu": "1", "pods": "3"},
        },
    }
    assert row(rt("resourcequotas"), quota) == {
        "Name": "q",
        "Request": "pods: 3/10, requests.cpu: 1/4",
        "Limit": "limits.memory: 0/8Gi",
        "Age": "3d",
    }
    revision = {
        "metadata": meta(
            "web-7d9",
            ownerReferences=[
                {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "controller": True}
            ],
        ),
        "revision": 4,
    }
    assert row(rt("controllerrevisions", "apps"), revision)["Controller"] == "statefulset.apps/web"
    lease = {"metadata": meta("lock"), "spec": {"holderIdentity": "pod-1"}}
    assert row(rt("leases", "coordination.k8s.io"), lease)["Holder"] == "pod-1"
    priority = {"metadata": meta("high"), "value": 1000, "globalDefault": False}
    assert row(rt("priorityclasses", "scheduling.k8s.io"), priority)["Value"] == 1000


def test_karpenter_nodeclaim_printer_columns(karpenter_catalog):
    claims = karpenter_catalog.lookup("karpenter.sh", "v1", "nodeclaims")
    claim = {
        "metadata": {
            "name": "default-x2k",
            "creationTimestamp": ago(minutes=42),
            "labels": {
                "node.kubernetes.io/instance-type": "m5.large",
                "karpenter.sh/capacity-type": "spot",
                "topology.kubernetes.io/zone": "us-east-1a",
                "karpenter.sh/nodepool": "default",
            },
        },
        "spec": {"nodeClassRef": {"name": "default"}},
        "status": {
            "nodeName": "ip-10-0-1-5",
            "providerID": "aws:///us-east-1a/i-0abc",
            "conditions": [{"type": "Drifted", "status": "False"}, {"type": "Ready", "status": "True"}],
        },
    }
    result = to_table(claims, [claim], now=NOW)
    columns = result["columnDefinitions"]
    assert [(c["name"], c["type"], c["priority"]) for c in columns] == [
        ("Name", "string", 0),
        ("Type", "string", 0),
        ("Capacity", "string", 0),
        ("Zone", "string", 0),
        ("Node", "string", 0),
        ("Ready", "string", 0),
        ("Age", "date", 0),
        ("ImageID", "string", 1),
        ("ID", "string", 1),
        ("NodePool", "string", 1),
        ("NodeClass", "string", 1),
        ("Drifted", "string", 1),
    ]
    assert columns[1]["description"].startswith("Custom resource definition column (in JSONPath format)")
    assert result["rows"][0]["cells"] == [
        "default-x2k",
        "m5.large",
        "spot",
        "us-east-1a",
        "ip-10-0-1-5",
        "True",
        "42m",
        None,
        "aws:///us-east-1a/i-0abc",
        "default",
        "default",
        "False",
    ]


def test_karpenter_nodepool_printer_columns(karpenter_catalog):
    pools = karpenter_catalog.lookup("karpenter.sh", "v1", "nodepools")
    pool = {
        "metadata": {"name": "default", "creationTimestamp": ago(days=12)},
        "spec": {"weight": 10, "template": {"spec": {"nodeClassRef": {"name": "default"}}}},
        "status": {
            "nodes": 3,
            "resources": {"cpu": "8", "memory": "32Gi"},
            "conditions": [{"type": "Ready", "status": "False"}],
        },
    }
    cells = to_table(pools, [pool], now=NOW)["rows"][0]["cells"]
    assert cells == ["default", "default", "3", "False", "12d", 10, "8", "32Gi"]
    empty = to_table(pools, [{"metadata": {"name": "new"}}], now=NOW)["rows"][0]["cells"]
    assert empty == ["new", None, None, None, None, None, None, None]


def test_crd_column_types_follow_cell_for_json_value():
    crd = {
        "metadata": {"name": "things.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "things", "kind": "Thing"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "additionalPrinterColumns": [
                        {"name": "Count", "type": "integer", "jsonPath": ".spec.count"},
                        {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"},
                        {"name": "On", "type": "boolean", "jsonPath": ".spec.on"},
                        {"name": "Tags", "type": "string", "jsonPath": ".spec.tags"},
                        {"name": "First", "type": "string", "jsonPath": ".spec.items[0].name"},
                        {"name": "Seen", "type": "date", "jsonPath": ".status.seen"},
                        {"name": "Bad", "type": "integer", "jsonPath": ".spec.on"},
                    ],
                }
            ],
        },
    }
    catalog = Catalog.builtin()
    [things] = catalog.add_crd(crd)
    thing = {
        "metadata": {"name": "t"},
        "spec": {
            "count": 2.0,
            "ratio": 3,
            "on": True,
            "tags": {"b": 1, "a": [1]},
            "items": [{"name": "first"}, {"name": "second"}],
        },
        "status": {"seen": "not a time"},
    }
    assert to_table(things, [thing], now=NOW)["rows"][0]["cells"] == [
        "t",
        2,
        3.0,
        True,
        '{"a":[1],"b":1}',
        "first",
        "<invalid>",
        None,
    ]


def test_crds_without_printer_columns_show_name_and_age():
    crd = {
        "metadata": {"name": "plain.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"plural": "plain", "kind": "Plain"},
            "versions": [{"name": "v1", "served": True}],
        },
    }
    [plain] = Catalog.builtin().add_crd(crd)
    result = to_table(plain, [{"metadata": {"name": "p", "creationTimestamp": ago(hours=5)}}], now=NOW)
    assert [(c["name"], c["type"]) for c in result["columnDefinitions"]] == [
        ("Name", "string"),
        ("Age", "date"),
    ]
    assert result["rows"][0]["cells"] == ["p", "5h"]
