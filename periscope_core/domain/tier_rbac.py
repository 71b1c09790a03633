"""The tier ClusterRoles and the bridge's impersonation fence, as plain Kubernetes objects.

The chart renders these and the sandbox is seeded with them, so tier mode means the
same thing on the demo as on a real cluster. Each tier includes every tier below it.
The tiers are honest about what they grant:

- ``read``: get/list/watch on workloads, config (no Secrets), networking, storage,
  nodes, namespaces, events, CRDs and Karpenter's NodePools, NodeClaims and EC2NodeClasses;
- ``triage``: read, plus what incident response needs without touching a spec:
  ``*/scale`` (get, patch, update), pod delete and eviction, exec, attach and
  port-forward. It cannot patch a Deployment, so it cannot change an image or a
  command;
- ``write``: triage, plus create/update/patch/delete on namespaced workloads, config
  and networking objects, and reading Secrets (the built-in ``edit`` role's reach);
- ``maintain``: write, plus namespaced RBAC (Roles and RoleBindings), quotas and limit
  ranges, node cordon (patch) and read access to every resource;
- ``admin``: everything (``cluster-admin``).

The bridge identity may impersonate any user but only the five tier groups and the
raw-mode groups the operator lists, fenced with ``resourceNames``: a compromised
Periscope cannot impersonate ``system:masters``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

TIERS = ("read", "triage", "write", "maintain", "admin")
"""Lowest to highest; a user's highest matching tier wins."""

TIER_GROUP_PREFIX = "periscope-tier:"
BRIDGE_GROUP = "periscope-bridge"
IMPERSONATOR_ROLE = "periscope-impersonator"

_RBAC = "rbac.authorization.k8s.io"
_READ = ["get", "list", "watch"]
_WRITE = ["create", "delete", "deletecollection", "patch", "update"]
_LABELS = {"app.kubernetes.io/name": "periscope", "app.kubernetes.io/component": "rbac"}

Rule = dict[str, Any]


def tier_group(tier: str) -> str:
    """The group a tier is impersonated as, e.g. ``periscope-tier:read``."""
    return f"{TIER_GROUP_PREFIX}{tier}"


def tier_role_name(tier: str) -> str:
    return f"periscope-tier-{tier}"


def _rule(verbs: list[str], group: str, *resources: str) -> Rule:
    return {"apiGroups": [group], "resources": list(resources), "verbs": list(verbs)}


_READ_RULES = [
    _rule(_READ, "", "pods", "pods/log", "pods/status", "services", "endpoints", "configmaps",
          "persistentvolumeclaims", "replicationcontrollers", "serviceaccounts", "events", "limitranges",
          "resourcequotas", "namespaces", "nodes", "persistentvolumes"),
    _rule(_READ, "apps", "deployments", "statefulsets", "daemonsets", "replicasets", "controllerrevisions",
          "deployments/scale", "statefulsets/scale", "replicasets/scale"),
    _rule(_READ, "batch", "jobs", "cronjobs"),
    _rule(_READ, "autoscaling", "horizontalpodautoscalers"),
    _rule(_READ, "policy", "poddisruptionbudgets"),
    _rule(_READ, "networking.k8s.io", "ingresses", "ingressclasses", "networkpolicies"),
    _rule(_READ, "discovery.k8s.io", "endpointslices"),
    _rule(_READ, "events.k8s.io", "events"),
    _rule(_READ, "storage.k8s.io", "storageclasses", "csidrivers", "csinodes", "volumeattachments"),
    _rule(_READ, "apiextensions.k8s.io", "customresourcedefinitions"),
    _rule(_READ, "metrics.k8s.io", "pods", "nodes"),
    # Node provisioning is part of reading a cluster's capacity (the Karpenter view).
    _rule(_READ, "karpenter.sh", "nodepools", "nodeclaims"),
    _rule(_READ, "karpenter.k8s.aws", "ec2nodeclasses"),
]

# Scaling goes through the scale subresource only; patching the workload itself would
# allow any spec edit, which is exactly what triage must not do.
_TRIAGE_RULES = [
    _rule(["get", "patch", "update"], "apps", "deployments/scale", "statefulsets/scale", "replicasets/scale"),
    _rule(["delete"], "", "pods"),
    _rule(["create"], "", "pods/eviction"),
    # Exec and friends are GET upgrades that kube-apiserver authorizes as create since 1.30.
    _rule(["get", "create"], "", "pods/exec", "pods/attach", "pods/portforward"),
]

_WRITE_RULES = [
    _rule(_WRITE, "", "pods", "services", "endpoints", "configmaps", "secrets", "persistentvolumeclaims",
          "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts"),
    _rule(_READ, "", "secrets"),
    _rule(_WRITE, "apps", "deployments", "statefulsets", "daemonsets", "replicasets"),
    _rule(_WRITE, "batch", "jobs", "cronjobs"),
    _rule(_WRITE, "autoscaling", "horizontalpodautoscalers"),
    _rule(_WRITE, "policy", "poddisruptionbudgets"),
    _rule(_WRITE, "networking.k8s.io", "ingresses", "networkpolicies"),
]

_MAINTAIN_RULES = [
    _rule(_READ, "*", "*"),
    _rule(_WRITE, _RBAC, "roles", "rolebindings"),
    _rule(_WRITE, "", "resourcequotas", "limitranges"),
    _rule(["patch", "update"], "", "nodes"),
]

_ADMIN_RULES = [
    _rule(["*"], "*", "*"),
    {"nonResourceURLs": ["*"], "verbs": ["*"]},
]

_RULES_BY_TIER = {
    "read": _READ_RULES,
    "triage": _TRIAGE_RULES,
    "write": _WRITE_RULES,
    "maintain": _MAINTAIN_RULES,
    "admin": _ADMIN_RULES,
}


def tier_rules(tier: str) -> list[Rule]:
    """Every rule a tier grants: its own and those of the tiers below it."""
    rank = TIERS.index(tier)
    return [dict(rule) for lower in TIERS[: rank + 1] for rule in _RULES_BY_TIER[lower]]


def _metadata(name: str) -> dict[str, Any]:
    return {"name": name, "labels": dict(_LABELS)}


def _binding(name: str, role: str, subjects: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "apiVersion": f"{_RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": _metadata(name),
        "roleRef": {"apiGroup": _RBAC, "kind": "ClusterRole", "name": role},
        "subjects": subjects,
    }


def tier_cluster_roles() -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": f"{_RBAC}/v1",
            "kind": "ClusterRole",
            "metadata": _metadata(tier_role_name(tier)),
            "rules": tier_rules(tier),
        }
        for tier in TIERS
    ]


def tier_cluster_role_bindings() -> list[dict[str, Any]]:
    """One binding per tier: the group ``periscope-tier:<tier>`` gets that tier's role."""
    return [
        _binding(tier_role_name(tier), tier_role_name(tier), [{"apiGroup": _RBAC, "kind": "Group",
                                                              "name": tier_group(tier)}])
        for tier in TIERS
    ]


def impersonator_cluster_role(*, extra_groups: Iterable[str] = ()) -> dict[str, Any]:
    """What the bridge may impersonate: any user, the tier groups, and ``extra_groups`` (raw mode).

    ``resourceNames`` holds exact names only (RBAC has no prefix match), so raw-mode
    groups must be listed one by one, already prefixed. Raises ValueError for a
    ``system:`` group.
    """
    extra = list(extra_groups)
    if any(group.lower().startswith("system:") for group in extra):
        raise ValueError("the bridge must never impersonate system: groups")
    groups = list(dict.fromkeys([*(tier_group(tier) for tier in TIERS), *extra]))
    return {
        "apiVersion": f"{_RBAC}/v1",
        "kind": "ClusterRole",
        "metadata": _metadata(IMPERSONATOR_ROLE),
        "rules": [
            {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]},
            {"apiGroups": [""], "resources": ["groups"], "verbs": ["impersonate"], "resourceNames": groups},
        ],
    }


def impersonator_binding(
    *, group: str = BRIDGE_GROUP, users: Iterable[str] = (), service_accounts: Iterable[tuple[str, str]] = ()
) -> dict[str, Any]:
    """Bind the impersonator role to the bridge group, to users, and to (namespace, name) service accounts."""
    subjects = [{"apiGroup": _RBAC, "kind": "Group", "name": group}]
    subjects += [{"apiGroup": _RBAC, "kind": "User", "name": user} for user in users]
    subjects += [{"kind": "ServiceAccount", "namespace": ns, "name": name} for ns, name in service_accounts]
    return _binding(IMPERSONATOR_ROLE, IMPERSONATOR_ROLE, subjects)


def periscope_rbac_objects(
    *,
    extra_groups: Iterable[str] = (),
    bridge_group: str = BRIDGE_GROUP,
    bridge_users: Iterable[str] = (),
    service_accounts: Iterable[tuple[str, str]] = (),
) -> list[dict[str, Any]]:
    """Everything a managed cluster needs for tier and raw modes, in apply order."""
    return [
        *tier_cluster_roles(),
        *tier_cluster_role_bindings(),
        impersonator_cluster_role(extra_groups=extra_groups),
        impersonator_binding(group=bridge_group, users=bridge_users, service_accounts=service_accounts),
    ]


def chart_rbac_data() -> dict[str, Any]:
    """What the Helm chart embeds (``chart/files/rbac.json``): the fixed objects, and the
    impersonator role before the chart adds the raw-mode groups and the subjects."""
    return {
        "tierRoles": tier_cluster_roles(),
        "tierBindings": tier_cluster_role_bindings(),
        "impersonatorRole": impersonator_cluster_role(),
    }
