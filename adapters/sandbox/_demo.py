"""The demo fleet: three clusters a newcomer can explore, and what each one starts with.

``prod`` runs Karpenter (its real CRDs, NodePools, NodeClaims and an EC2NodeClass), a few
teams' workloads, a pod in CrashLoopBackOff, one in ImagePullBackOff and pods Karpenter could
not place, with the FailedScheduling events Karpenter writes. ``staging`` is a smaller copy
one release ahead; ``edge`` is a two-node site with a distroless pod (nothing to exec into).
Each cluster also has Helm releases in Helm's own storage format (``_demo_helm``).
Only manifests are seeded: the controllers make the ReplicaSets, pods, statuses and logs.
"""

from __future__ import annotations

from datetime import timedelta

from periscope_adapters.sandbox._demo_helm import seed_helm_edge, seed_helm_prod, seed_helm_staging
from periscope_adapters.sandbox._demo_karpenter import karpenter_node, seed_karpenter, seed_unschedulable
from periscope_adapters.sandbox._kubelet import SIMULATE
from periscope_adapters.sandbox._manifests import (
    binding,
    config_map,
    container,
    cron_job,
    daemon_set,
    deployment,
    job_for,
    namespace,
    node,
    secret,
    service,
    stateful_set,
)
from periscope_adapters.sandbox._seed import ClusterSpec, Seeder
from periscope_core.domain.tier_rbac import periscope_rbac_objects

__all__ = ["DEMO"]

_RAW_PREFIX = "periscope:"
"""``authorization.groupPrefix``'s default: in raw mode the IdP group ``sre`` arrives as ``periscope:sre``."""
_BRIDGE = "periscope-bridge"
"""The fleet's bridge user (``_fleet.BRIDGE_USER``; that module imports this one)."""

# -- shared pieces --------------------------------------------------------------------


def _rbac(seed: Seeder, *team_namespaces: str) -> None:
    """RBAC as an operator running Periscope would write it.

    SREs administer, developers read, each team edits its own namespace: bound for the
    plain groups (``auth can-i --as``) and again for the raw-mode groups. Periscope's
    tier roles and the bridge's impersonation fence are seeded as the chart renders
    them; the fence lists the tier groups and these raw-mode groups by name.
    """
    grants = [("sre", "cluster-admin", ""), ("developers", "view", ""),
              *((f"{ns}-team", "edit", ns) for ns in team_namespaces)]
    raw_groups = [f"{_RAW_PREFIX}{group}" for group, _, _ in grants]
    for obj in periscope_rbac_objects(extra_groups=raw_groups, bridge_users=[_BRIDGE]):
        seed.create(obj)
    for group, role, ns in grants:
        seed.create(binding(f"{group}-{role}", role, group=group, namespace=ns))
        seed.create(binding(f"raw-{group}-{role}", role, group=f"{_RAW_PREFIX}{group}", namespace=ns))


def _namespaces(seed: Seeder, *names: str) -> None:
    for name in names:
        seed.create(namespace(name))


def _system(seed: Seeder) -> None:
    seed.create(
        deployment(
            "kube-system",
            "coredns",
            [container("coredns", "registry.k8s.io/coredns/coredns:v1.11.3", port=53, memory="70Mi")],
            replicas=2,
            labels={"k8s-app": "kube-dns"},
        )
    )
    seed.create(service("kube-system", "kube-dns", port=53, target=53, selector="coredns"))
    seed.create(
        daemon_set(
            "kube-system",
            "kube-proxy",
            [
                container(
                    "kube-proxy", "registry.k8s.io/kube-proxy:v1.32.3", port=None, cpu="100m", memory="64Mi"
                )
            ],
        )
    )


# -- the clusters -----------------------------------------------------------------------


def _prod(seed: Seeder) -> None:
    _namespaces(seed, "payments", "checkout", "monitoring", "karpenter", "ml", "batch", "ci")
    _rbac(seed, "payments", "checkout")
    nodes = [
        node(
            "ip-10-0-1-23.ec2.internal",
            zone="us-east-1a",
            instance_type="m6i.large",
            ip="10.0.1.23",
            cpu="2",
            memory="8Gi",
            labels={"eks.amazonaws.com/nodegroup": "system", "eks.amazonaws.com/capacityType": "ON_DEMAND"},
        ),
        karpenter_node(
            "ip-10-0-2-41.ec2.internal", "10.0.2.41", "us-east-1b", "m6i.xlarge", "general", "on-demand", "4"
        ),
        karpenter_node(
            "ip-10-0-3-17.ec2.internal", "10.0.3.17", "us-east-1c", "c6i.2xlarge", "general", "spot", "8"
        ),
        karpenter_node(
            "ip-10-0-1-88.ec2.internal", "10.0.1.88", "us-east-1a", "r6i.xlarge", "general", "spot", "4"
        ),
    ]
    for n in nodes:
        seed.create(n)
    gpu_taint = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
    seed_karpenter(
        seed,
        {
            "general": {"weight": 50},
            "gpu": {
                "taints": [gpu_taint],
                "requirements": [
                    {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g5", "p4d"]}
                ],
            },
            "system": {"weight": 100},
            "teama-spot": {"requirements": [{"key": "team", "operator": "In", "values": ["teama"]}]},
            "teama-on-demand": {"requirements": [{"key": "team", "operator": "In", "values": ["teama"]}]},
            "runner-arm": {
                "taints": [{"key": "workload-type", "value": "ci-runner", "effect": "NoSchedule"}],
                "requirements": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]}],
            },
        },
        nodes,
    )
    _system(seed)
    seed.create(
        daemon_set(
            "kube-system",
            "aws-node",
            [
                container(
                    "aws-node",
                    "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.19.2",
                    port=61678,
                )
            ],
        )
    )
    seed.create(
        deployment(
            "karpenter",
            "karpenter",
            [
                container(
                    "controller",
                    "public.ecr.aws/karpenter/controller:1.1.1",
                    port=8080,
                    cpu="250m",
                    memory="512Mi",
                )
            ],
            replicas=2,
        )
    )
    # payments: a healthy ledger and API, a worker that keeps crashing
    seed.create(
        config_map("payments", "payments-config", {"LOG_LEVEL": "info", "LEDGER_URL": "http://ledger"})
    )
    seed.create(secret("payments", "payments-db", {"username": "payments", "password": "sandbox-only"}))
    seed.create(
        deployment(
            "payments",
            "ledger",
            [container("ledger", "ghcr.io/acme/ledger:1.42.0", env={"LOG_LEVEL": "info"})],
            replicas=3,
        )
    )
    seed.create(service("payments", "ledger"))
    seed.create(
        deployment(
            "payments",
            "payments-api",
            [container("api", "ghcr.io/acme/payments-api:2.7.1", env={"LEDGER_URL": "http://ledger"})],
            replicas=2,
        )
    )
    seed.create(service("payments", "payments-api"))
    seed.create(
        deployment(
            "payments",
            "payments-worker",
            [container("worker", "ghcr.io/acme/payments-worker:2.7.1", port=None)],
            replicas=1,
            annotations={SIMULATE: "CrashLoopBackOff"},
        )
    )
    cron = seed.create(
        cron_job(
            "payments",
            "nightly-settlement",
            "0 2 * * *",
            [
                container(
                    "settle",
                    "ghcr.io/acme/payments-worker:2.7.1",
                    port=None,
                    args=("settle", "--date=yesterday"),
                )
            ],
        )
    )
    seed.create(job_for(cron, "nightly-settlement-28911440"))
    # checkout: nginx front, a redis, a release whose image was never pushed
    seed.create(deployment("checkout", "web", [container("nginx", "nginx:1.27.3", port=80)], replicas=3))
    seed.create(service("checkout", "web", target=80))
    seed.create(
        stateful_set(
            "checkout", "cart-redis", [container("redis", "redis:7.4-alpine", port=6379, memory="256Mi")]
        )
    )
    seed.create(service("checkout", "cart-redis", port=6379, target=6379))
    seed.create(
        deployment(
            "checkout",
            "recommender",
            [container("recommender", "ghcr.io/acme/recommender:2.0.0-rc1")],
            replicas=1,
            annotations={SIMULATE: "ImagePullBackOff"},
        )
    )
    seed.create(
        stateful_set(
            "monitoring",
            "prometheus",
            [container("prometheus", "quay.io/prometheus/prometheus:v2.53.0", port=9090, memory="1Gi")],
        )
    )
    seed.create(
        daemon_set(
            "monitoring",
            "node-exporter",
            [container("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2", port=9100, memory="32Mi")],
        )
    )
    seed_unschedulable(seed)
    seed_helm_prod(seed)


def _staging(seed: Seeder) -> None:
    _namespaces(seed, "payments", "checkout", "karpenter")
    _rbac(seed, "payments", "checkout")
    nodes = [
        karpenter_node(
            "ip-10-1-1-12.ec2.internal", "10.1.1.12", "us-east-1a", "m6i.large", "general", "spot", "2"
        ),
        karpenter_node(
            "ip-10-1-2-34.ec2.internal", "10.1.2.34", "us-east-1b", "m6i.large", "general", "spot", "2"
        ),
    ]
    for n in nodes:
        seed.create(n)
    seed_karpenter(seed, {"general": {"weight": 50}}, nodes)
    _system(seed)
    seed.create(
        deployment(
            "karpenter",
            "karpenter",
            [
                container(
                    "controller", "public.ecr.aws/karpenter/controller:1.2.0", cpu="250m", memory="512Mi"
                )
            ],
            replicas=1,
        )
    )
    seed.create(
        deployment(
            "payments",
            "ledger",
            [container("ledger", "ghcr.io/acme/ledger:1.43.0-rc.2", env={"LOG_LEVEL": "debug"})],
            replicas=1,
        )
    )
    seed.create(service("payments", "ledger"))
    seed.create(
        deployment(
            "payments", "payments-api", [container("api", "ghcr.io/acme/payments-api:2.8.0-rc.1")], replicas=1
        )
    )
    seed.create(deployment("checkout", "web", [container("nginx", "nginx:1.27.3", port=80)], replicas=2))
    seed.create(service("checkout", "web", target=80))
    seed.create(
        stateful_set(
            "checkout", "cart-redis", [container("redis", "redis:7.4-alpine", port=6379, memory="256Mi")]
        )
    )
    seed.create(
        deployment(
            "checkout",
            "toolbox",
            [container("toolbox", "busybox:1.36", port=None, command=("sh", "-c", "sleep infinity"))],
            replicas=1,
        )
    )
    seed_helm_staging(seed)


def _edge(seed: Seeder) -> None:
    _namespaces(seed, "iot")
    _rbac(seed, "iot")
    for i, ip in enumerate(("192.168.10.11", "192.168.10.12"), start=1):
        seed.create(
            node(
                f"edge-gw-0{i}",
                zone="eu-west-1a",
                instance_type="k3s",
                ip=ip,
                cpu="4",
                kubelet="v1.31.4+k3s1",
                labels={"node-role.kubernetes.io/edge": "true"},
            )
        )
    _system(seed)
    seed.create(
        deployment(
            "iot",
            "telemetry-gateway",
            [container("gateway", "ghcr.io/acme/telemetry-gateway:0.9.3", port=8883)],
            replicas=2,
        )
    )
    seed.create(service("iot", "telemetry-gateway", port=8883, target=8883))
    seed.create(
        deployment(
            "iot",
            "firmware-signer",
            [
                container(
                    "signer",
                    "gcr.io/distroless/static-debian12:nonroot",
                    port=9000,
                    command=("/signer",),
                    args=("--listen=:9000",),
                )
            ],
            replicas=1,
        )
    )
    seed.create(
        daemon_set(
            "iot",
            "sensor-agent",
            [
                container(
                    "agent",
                    "busybox:1.36",
                    port=None,
                    memory="16Mi",
                    command=("sh", "-c", "while true; do cat /sys/class/thermal/*/temp; sleep 30; done"),
                )
            ],
        )
    )
    seed.create(stateful_set("iot", "mqtt", [container("mosquitto", "eclipse-mosquitto:2.0.20", port=1883)]))
    seed_helm_edge(seed)


DEMO: tuple[ClusterSpec, ...] = (
    ClusterSpec(
        "prod",
        _prod,
        environment="prod",
        tags={"region": "us-east-1", "tier": "critical"},
        age=timedelta(days=41),
    ),
    ClusterSpec(
        "staging", _staging, environment="staging", tags={"region": "us-east-1"}, age=timedelta(days=9)
    ),
    ClusterSpec(
        "edge",
        _edge,
        environment="edge",
        tags={"region": "eu-west-1", "site": "factory-7"},
        age=timedelta(hours=70),
    ),
)
"""The default fleet ``periscope serve`` and ``periscope sandbox`` start."""
