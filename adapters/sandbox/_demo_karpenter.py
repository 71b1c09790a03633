"""Karpenter in the demo: its real CRDs, NodePools, NodeClaims, nodes and scheduling events.

The CRDs and the FailedScheduling messages are the published ones (Apache-2.0), shipped as
package data, so views built on them meet the shapes and wording of a real cluster.
"""

from __future__ import annotations

import importlib.resources
import json
import random
from collections import Counter
from typing import Any

import yaml

from periscope_adapters.sandbox._manifests import container, node, pod, service
from periscope_adapters.sandbox._objects import Obj, name_suffix
from periscope_adapters.sandbox._seed import Seeder

__all__ = [
    "failed_scheduling_events",
    "karpenter_cost_rbac",
    "karpenter_crds",
    "karpenter_node",
    "offering_prices",
    "seed_karpenter",
    "seed_unschedulable",
]

_DATA = importlib.resources.files("periscope_adapters.sandbox") / "data"
_KARPENTER = "karpenter.sh"
_AWS = "karpenter.k8s.aws"


def karpenter_crds() -> list[Obj]:
    """Karpenter v1's CustomResourceDefinitions, as published (Apache-2.0)."""
    crds = _DATA / "crds"
    return [
        yaml.safe_load(f.read_text())
        for f in sorted(crds.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".yaml")
    ]


def failed_scheduling_events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(
        (_DATA / "karpenter-events" / "failedscheduling.json").read_text()
    )
    return events


# On-demand $/hour in us-east-1 for the demo's instance types; spot is a zone-dependent share of it.
_ON_DEMAND = {"m6i.large": 0.096, "m6i.xlarge": 0.192, "c6i.2xlarge": 0.34, "r6i.xlarge": 0.252}
_SPOT_SHARE = {"us-east-1a": 0.31, "us-east-1b": 0.36, "us-east-1c": 0.42}


def offering_prices() -> str:
    """The controller's price gauges in the Prometheus text format, as Karpenter exports them."""
    lines = ["# HELP karpenter_cloudprovider_instance_type_offering_price_estimate Estimated hourly price "
             "used when making informed decisions on node cost calculation.",
             "# TYPE karpenter_cloudprovider_instance_type_offering_price_estimate gauge"]  # fmt: skip
    for instance_type, price in _ON_DEMAND.items():
        for zone, share in _SPOT_SHARE.items():
            for capacity, value in (("on-demand", price), ("spot", round(price * share, 4))):
                lines.append(
                    "karpenter_cloudprovider_instance_type_offering_price_estimate"
                    f'{{capacity_type="{capacity}",instance_type="{instance_type}",region="us-east-1",zone="{zone}"}}'
                    f" {value}"
                )
    return "\n".join(lines) + "\n"


def _metrics(path: str) -> tuple[int, str, bytes]:
    if path != "/metrics":
        return 404, "text/plain; charset=utf-8", b"404 page not found\n"
    return 200, "text/plain; version=0.0.4; charset=utf-8", offering_prices().encode()


def seed_karpenter(seed: Seeder, pools: dict[str, Obj], nodes: list[Obj]) -> None:
    for crd in karpenter_crds():
        seed.add_crd(crd)
    # The controller's metrics, reached through the apiserver's service proxy as the Karpenter view does,
    # and the grant that lets the tiers read them (services/proxy is not in any tier).
    seed.create(service("karpenter", "karpenter", port=8080, target=8080, selector="karpenter"))
    seed.serve_proxy("karpenter", "karpenter", "8080", _metrics)
    for obj in karpenter_cost_rbac():
        seed.create(obj)
    seed.create(
        {
            "apiVersion": f"{_AWS}/v1",
            "kind": "EC2NodeClass",
            "metadata": {"name": "default"},
            "spec": {
                "amiFamily": "AL2023",
                "role": "KarpenterNodeRole-demo",
                "amiSelectorTerms": [{"alias": "al2023@latest"}],
                "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "demo"}}],
                "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "demo"}}],
            },
        }
    )
    for name, extra in pools.items():
        requirements = [
            {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": ["c", "m", "r"]},
            {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand", "spot"]},
            *extra.get("requirements", []),
        ]
        template_spec: Obj = {
            "nodeClassRef": {"group": _AWS, "kind": "EC2NodeClass", "name": "default"},
            "requirements": requirements,
            "expireAfter": "720h",
        }
        if extra.get("taints"):
            template_spec["taints"] = extra["taints"]
        members = [n for n in nodes if n["metadata"]["labels"].get("karpenter.sh/nodepool") == name]
        created = seed.create(
            {
                "apiVersion": f"{_KARPENTER}/v1",
                "kind": "NodePool",
                "metadata": {"name": name},
                "spec": {
                    "template": {"spec": template_spec},
                    "disruption": {
                        "consolidationPolicy": "WhenEmptyOrUnderutilized",
                        "consolidateAfter": "1m",
                    },
                    "limits": {"cpu": "1000", "memory": "1000Gi"},
                    "weight": extra.get("weight", 10),
                },
            }
        )
        seed.set_status(
            created,
            {
                "nodes": len(members),
                "resources": {
                    "cpu": str(sum(int(n["status"]["capacity"]["cpu"]) for n in members)),
                    "nodes": str(len(members)),
                },
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "Ready",
                        "message": "",
                        "lastTransitionTime": seed.now(),
                        "observedGeneration": 1,
                    }
                ],
            },
        )
    pool_sizes = Counter(n["metadata"]["labels"].get("karpenter.sh/nodepool") for n in nodes)
    seen_pools: set[str] = set()
    for n in nodes:
        pool = n["metadata"]["labels"].get("karpenter.sh/nodepool")
        if pool is None:
            continue
        conditions = [
            {"type": t, "status": "True", "reason": t, "message": "", "lastTransitionTime": seed.now()}
            for t in ("Launched", "Registered", "Initialized", "Ready")
        ]
        if pool not in seen_pools and pool_sizes[pool] > 1:
            # The first node of a bigger pool predates its NodePool's last change: drifted.
            conditions.append({"type": "Drifted", "status": "True", "reason": "NodePoolDrifted", "message": "",
                               "lastTransitionTime": seed.now()})
        seen_pools.add(pool)
        labels = n["metadata"]["labels"]
        claim = seed.create(
            {
                "apiVersion": f"{_KARPENTER}/v1",
                "kind": "NodeClaim",
                "metadata": {
                    "name": labels["karpenter.sh/nodeclaim"],
                    "labels": {
                        k: v
                        for k, v in labels.items()
                        if k.startswith(("karpenter", "node.kubernetes.io", "topology"))
                    },
                },
                "spec": {
                    "nodeClassRef": {"group": _AWS, "kind": "EC2NodeClass", "name": "default"},
                    "requirements": [{"key": "karpenter.sh/nodepool", "operator": "In", "values": [pool]}],
                    "expireAfter": "720h",
                },
            }
        )
        seed.set_status(
            claim,
            {
                "nodeName": n["metadata"]["name"],
                "providerID": n["spec"]["providerID"],
                "imageID": "ami-0b2cd1f8bc1e3ab26",
                "capacity": n["status"]["capacity"],
                "allocatable": n["status"]["allocatable"],
                "conditions": conditions,
            },
        )


def karpenter_node(
    name: str, ip: str, zone: str, instance_type: str, pool: str, capacity: str, cpu: str
) -> Obj:
    """A node Karpenter launched for ``pool``, labelled as Karpenter labels its nodes."""
    claim = f"{pool}-{name_suffix(random.Random(name))}"
    return node(
        name,
        zone=zone,
        instance_type=instance_type,
        ip=ip,
        cpu=cpu,
        memory=f"{int(cpu) * 4}Gi",
        labels={
            "karpenter.sh/nodepool": pool,
            "karpenter.sh/capacity-type": capacity,
            "karpenter.sh/registered": "true",
            "karpenter.sh/initialized": "true",
            "karpenter.sh/nodeclaim": claim,
            "karpenter.k8s.aws/ec2nodeclass": "default",
            "karpenter.k8s.aws/instance-category": instance_type[0],
        },
    )


def seed_unschedulable(seed: Seeder) -> None:
    """Pods Karpenter could not find a NodePool for, with the events it really writes."""
    karpenter, scheduler = failed_scheduling_events()[:3], failed_scheduling_events()[3]
    gpu = seed.create(
        pod(
            "ml",
            "gpu-trainer-0",
            [
                container(
                    "trainer",
                    "nvcr.io/nvidia/pytorch:24.05-py3",
                    port=None,
                    cpu="1",
                    memory="4Gi",
                    extra_requests={"nvidia.com/gpu": "1"},
                )
            ],
        )
    )
    seed.set_status(gpu, _unschedulable(seed, scheduler["message"]))
    seed.event(
        gpu, "FailedScheduling", scheduler["message"], warning=True, component="default-scheduler", count=7
    )
    batch = seed.create(
        pod(
            "batch",
            "teama-report-7d9f2",
            [container("report", "ghcr.io/acme/report:3.1.0", port=None)],
            nodeSelector={"karpenter.sh/capacity-type": "on-demand", "team": "teama"},
        )
    )
    runner = seed.create(
        pod(
            "ci",
            "runner-arm-x8k2p",
            [container("runner", "ghcr.io/actions/actions-runner:2.321.0", port=None)],
            nodeSelector={"kubernetes.io/arch": "arm64", "nvidia.com/device-plugin.config": "a100"},
        )
    )
    for stuck in (batch, runner):
        seed.set_status(stuck, _unschedulable(seed, "0/7 nodes are available: 7 node(s) didn't match Pod's node "
                                                    "affinity/selector."))  # fmt: skip
    for target, event in zip((gpu, batch, runner), karpenter, strict=True):
        seed.event(target, event["reason"], event["message"], warning=True, component="karpenter", count=12)


def _unschedulable(seed: Seeder, message: str) -> Obj:
    """A Pending pod's status as kube-scheduler leaves it when no node fits."""
    return {
        "phase": "Pending",
        "qosClass": "Burstable",
        "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
                        "lastProbeTime": None, "lastTransitionTime": seed.now()}],
    }


def karpenter_cost_rbac() -> list[Obj]:
    """Reading the controller's metrics through the service proxy, for every tier (namespaced to karpenter)."""
    rbac = "rbac.authorization.k8s.io"
    name = "periscope-karpenter-metrics"
    return [
        {"apiVersion": f"{rbac}/v1", "kind": "Role", "metadata": {"name": name, "namespace": "karpenter"},
         "rules": [{"apiGroups": [""], "resources": ["services/proxy"], "resourceNames": ["karpenter:8080"],
                    "verbs": ["get"]}]},
        {"apiVersion": f"{rbac}/v1", "kind": "RoleBinding", "metadata": {"name": name, "namespace": "karpenter"},
         "roleRef": {"apiGroup": rbac, "kind": "Role", "name": name},
         "subjects": [{"apiGroup": rbac, "kind": "Group", "name": f"periscope-tier:{tier}"}
                      for tier in ("read", "triage", "write", "maintain")]},
    ]  # fmt: skip
