"""Builders for the manifests a demo cluster is seeded with, shaped as users write them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from periscope_adapters.sandbox._objects import Obj

__all__ = [
    "binding",
    "cluster_role",
    "config_map",
    "container",
    "cron_job",
    "daemon_set",
    "deployment",
    "job_for",
    "namespace",
    "node",
    "pod",
    "secret",
    "service",
    "stateful_set",
]


def _meta(name: str, namespace: str = "", labels: Mapping[str, str] | None = None, **extra: Any) -> Obj:
    meta: Obj = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    meta.update({k: v for k, v in extra.items() if v})
    return meta


_RBAC = "rbac.authorization.k8s.io"


def cluster_role(name: str, rules: list[Obj]) -> Obj:
    return {"apiVersion": f"{_RBAC}/v1", "kind": "ClusterRole", "metadata": _meta(name), "rules": rules}


def binding(name: str, cluster_role: str, *, user: str = "", group: str = "", namespace: str = "") -> Obj:
    """A RoleBinding (with ``namespace``) or ClusterRoleBinding of a ClusterRole to one user or group."""
    subject = {"apiGroup": _RBAC, "kind": "User" if user else "Group", "name": user or group}
    return {
        "apiVersion": f"{_RBAC}/v1",
        "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
        "metadata": _meta(name, namespace),
        "roleRef": {"apiGroup": _RBAC, "kind": "ClusterRole", "name": cluster_role},
        "subjects": [subject],
    }


def namespace(name: str, **labels: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": _meta(name, labels={"kubernetes.io/metadata.name": name, **labels})}


def container(
    name: str,
    image: str,
    *,
    port: int | None = 8080,
    env: Mapping[str, str] | None = None,
    cpu: str = "100m",
    memory: str = "128Mi",
    command: Sequence[str] = (),
    args: Sequence[str] = (),
    extra_requests: Mapping[str, str] | None = None,
) -> Obj:
    c: Obj = {"name": name, "image": image}
    if command:
        c["command"] = list(command)
    if args:
        c["args"] = list(args)
    if port:
        c["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    env_list: list[Obj] = [{"name": k, "value": v} for k, v in (env or {}).items()]
    env_list += [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                 {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}]
    c["env"] = env_list
    requests = {"cpu": cpu, "memory": memory, **(extra_requests or {})}
    limits = {"memory": memory, **(extra_requests or {})}
    c["resources"] = {"requests": requests, "limits": limits}
    return c


def _template(app: str, containers: list[Obj], annotations: Mapping[str, str] | None, **spec: Any) -> Obj:
    meta: Obj = {"labels": {"app": app, "app.kubernetes.io/name": app}}
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"metadata": meta, "spec": {"containers": containers, **spec}}


def deployment(
    namespace: str,
    name: str,
    containers: list[Obj],
    *,
    replicas: int = 2,
    annotations: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, namespace, {"app": name, **(labels or {})}),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "template": _template(name, containers, annotations),
        },
    }


def stateful_set(namespace: str, name: str, containers: list[Obj], *, replicas: int = 1) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(name, namespace, {"app": name}),
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "template": _template(name, containers, None),
        },
    }


def daemon_set(namespace: str, name: str, containers: list[Obj]) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(name, namespace, {"app": name}),
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": _template(name, containers, None, tolerations=[{"operator": "Exists"}]),
        },
    }


def cron_job(namespace: str, name: str, schedule: str, containers: list[Obj]) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta(name, namespace),
        "spec": {
            "schedule": schedule,
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"backoffLimit": 2, "template": {
                "spec": {"restartPolicy": "OnFailure", "containers": containers}}}},
        },
    }


def job_for(cron: Obj, name: str) -> Obj:
    """The Job a CronJob's controller would create from its template."""
    spec = cron["spec"]["jobTemplate"]["spec"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": cron["metadata"]["namespace"],
                     "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                                          "name": cron["metadata"]["name"], "uid": cron["metadata"]["uid"],
                                          "controller": True, "blockOwnerDeletion": True}]},
        "spec": {**spec, "completions": 1, "parallelism": 1},
    }


def service(namespace: str, name: str, *, port: int = 80, target: int = 8080, selector: str = "") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, namespace, {"app": selector or name}),
        "spec": {"selector": {"app": selector or name},
                 "ports": [{"name": "http", "port": port, "targetPort": target, "protocol": "TCP"}]},
    }


def config_map(namespace: str, name: str, data: Mapping[str, str]) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(name, namespace), "data": dict(data)}


def secret(namespace: str, name: str, data: Mapping[str, str]) -> Obj:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": _meta(name, namespace),
            "stringData": dict(data)}


def pod(namespace: str, name: str, containers: list[Obj], **spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": _meta(name, namespace, {"app": name}),
            "spec": {"containers": containers, "restartPolicy": "Always", **spec}}


_NODE_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


def node(
    name: str,
    *,
    zone: str,
    instance_type: str,
    ip: str,
    cpu: str = "4",
    memory: str = "16Gi",
    labels: Mapping[str, str] | None = None,
    taints: Sequence[Obj] = (),
    gpus: int = 0,
    kubelet: str = "v1.32.3-eks-473151a",
) -> Obj:
    """A Ready node as a cloud kubelet registers it; its kubelet stamps the condition times."""
    region = zone[:-1]
    capacity = {"cpu": cpu, "memory": memory, "pods": "58", "ephemeral-storage": "83873772Ki"}
    if gpus:
        capacity["nvidia.com/gpu"] = str(gpus)
    instance = "i-0" + hashlib.sha256(name.encode()).hexdigest()[:16]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta(name, labels={
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": instance_type, "topology.kubernetes.io/region": region,
            "topology.kubernetes.io/zone": zone, **(labels or {}),
        }),
        "spec": {"providerID": f"aws:///{zone}/{instance}", "taints": list(taints)} if taints
        else {"providerID": f"aws:///{zone}/{instance}"},
        "status": {
            "capacity": capacity,
            "allocatable": {**capacity, "cpu": f"{int(cpu) * 1000 - 90}m"},
            "conditions": [
                {"type": t, "status": s, "reason": r, "message": m}
                for t, s, r, m in _NODE_CONDITIONS
            ],
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name},
                          {"type": "InternalDNS", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": hashlib.md5(name.encode(), usedforsecurity=False).hexdigest(),
                "systemUUID": "ec2" + hashlib.md5(ip.encode(), usedforsecurity=False).hexdigest()[3:],
                "bootID": hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:32],
                "kernelVersion": "6.1.128-136.201.amzn2023.x86_64",
                "osImage": "Amazon Linux 2023.6.20250203",
                "containerRuntimeVersion": "containerd://1.7.25",
                "kubeletVersion": kubelet,
                "kubeProxyVersion": kubelet,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }
