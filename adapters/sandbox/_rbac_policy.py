"""The default RBAC policy a fresh cluster has, trimmed to what a console exercises.

Names, labels and rules follow kube-apiserver's bootstrap policy: admin, edit and view are
aggregated roles fed by system:aggregate-to-*, and their stored rules are filled in as the
aggregation controller would, so `kubectl get clusterrole view -o yaml` reads like a real one.
The retired extensions group and the controller and node roles are left out.
"""

from __future__ import annotations

import copy
from typing import Any

from periscope_adapters.sandbox._rbac import AUTHENTICATED, SYSTEM_MASTERS, UNAUTHENTICATED, ClusterRoleSet

_RBAC = "rbac.authorization.k8s.io"
_AGGREGATE_TO = "rbac.authorization.k8s.io/aggregate-to-"
_READ = ("get", "list", "watch")
_WRITE = ("create", "delete", "deletecollection", "patch", "update")
_DISCOVERY_URLS = ("/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*")
_HEALTH_URLS = ("/healthz", "/livez", "/readyz", "/version", "/version/")


def _rule(verbs: tuple[str, ...], group: str, *resources: str) -> dict[str, Any]:
    return {"verbs": sorted(verbs), "apiGroups": [group], "resources": sorted(resources)}


def _url_rule(*urls: str) -> dict[str, Any]:
    return {"verbs": ["get"], "nonResourceURLs": sorted(urls)}


def _metadata(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "labels": {"kubernetes.io/bootstrapping": "rbac-defaults", **(labels or {})},
        "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
    }


def _cluster_role(
    name: str, rules: list[dict[str, Any]], *, aggregate_to: str = "", aggregate_from: str = ""
) -> dict[str, Any]:
    labels = {f"{_AGGREGATE_TO}{aggregate_to}": "true"} if aggregate_to else None
    role: dict[str, Any] = {
        "apiVersion": f"{_RBAC}/v1",
        "kind": "ClusterRole",
        "metadata": _metadata(name, labels),
    }
    if aggregate_from:
        selector = {"matchLabels": {f"{_AGGREGATE_TO}{aggregate_from}": "true"}}
        role["aggregationRule"] = {"clusterRoleSelectors": [selector]}
    role["rules"] = rules
    return role


def _cluster_role_binding(name: str, *groups: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{_RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": _metadata(name),
        "roleRef": {"apiGroup": _RBAC, "kind": "ClusterRole", "name": name},
        "subjects": [{"apiGroup": _RBAC, "kind": "Group", "name": group} for group in groups],
    }


_VIEW_RULES = [
    _rule(_READ, "", "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
          "services", "services/status", "endpoints", "persistentvolumeclaims",
          "persistentvolumeclaims/status", "configmaps"),
    _rule(_READ, "", "limitranges", "resourcequotas", "bindings", "events", "pods/status",
          "resourcequotas/status", "namespaces/status", "replicationcontrollers/status", "pods/log"),
    _rule(_READ, "", "namespaces"),
    _rule(_READ, "discovery.k8s.io", "endpointslices"),
    _rule(_READ, "apps", "controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale",
          "daemonsets", "daemonsets/status", "deployments", "deployments/status", "deployments/scale",
          "replicasets", "replicasets/status", "replicasets/scale"),
    _rule(_READ, "autoscaling", "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
    _rule(_READ, "batch", "jobs", "cronjobs", "cronjobs/status", "jobs/status"),
    _rule(_READ, "policy", "poddisruptionbudgets", "poddisruptionbudgets/status"),
    _rule(_READ, "networking.k8s.io", "networkpolicies", "ingresses", "ingresses/status"),
]

_EDIT_RULES = [
    _rule(_READ, "", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets",
          "services/proxy"),
    _rule(("impersonate",), "", "serviceaccounts"),
    _rule(_WRITE, "", "pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
    _rule(("create",), "", "pods/eviction"),
    _rule(_WRITE, "", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
          "services/proxy", "persistentvolumeclaims", "configmaps", "secrets", "events"),
    _rule(("create",), "", "serviceaccounts/token"),
    _rule(_WRITE, "apps", "statefulsets", "statefulsets/scale", "daemonsets", "deployments",
          "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale"),
    _rule(_WRITE, "autoscaling", "horizontalpodautoscalers"),
    _rule(_WRITE, "batch", "jobs", "cronjobs"),
    _rule(_WRITE, "policy", "poddisruptionbudgets"),
    _rule(_WRITE, "networking.k8s.io", "networkpolicies", "ingresses"),
    _rule(_READ + _WRITE, "coordination.k8s.io", "leases"),
]

_ADMIN_RULES = [
    _rule(("create",), "authorization.k8s.io", "localsubjectaccessreviews"),
    _rule(_READ + _WRITE, _RBAC, "roles", "rolebindings"),
]


def bootstrap_policy() -> list[dict[str, Any]]:
    """Fresh ClusterRoles and ClusterRoleBindings; the caller stores them and owns the copies."""
    roles = [
        _cluster_role("cluster-admin", [
            {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
            {"verbs": ["*"], "nonResourceURLs": ["*"]},
        ]),
        _cluster_role("admin", [], aggregate_from="admin"),
        _cluster_role("edit", [], aggregate_to="admin", aggregate_from="edit"),
        _cluster_role("view", [], aggregate_to="edit", aggregate_from="view"),
        _cluster_role("system:aggregate-to-admin", _ADMIN_RULES, aggregate_to="admin"),
        _cluster_role("system:aggregate-to-edit", _EDIT_RULES, aggregate_to="edit"),
        _cluster_role("system:aggregate-to-view", _VIEW_RULES, aggregate_to="view"),
        _cluster_role("system:discovery", [_url_rule(*_DISCOVERY_URLS, *_HEALTH_URLS)]),
        _cluster_role("system:public-info-viewer", [_url_rule(*_HEALTH_URLS)]),
        _cluster_role("system:basic-user", [
            _rule(("create",), "authorization.k8s.io", "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
            _rule(("create",), "authentication.k8s.io", "selfsubjectreviews"),
        ]),
    ]
    resolved = ClusterRoleSet(roles)
    for role in roles:
        if "aggregationRule" in role:
            role["rules"] = resolved.rules(role["metadata"]["name"])
    bindings = [
        _cluster_role_binding("cluster-admin", SYSTEM_MASTERS),
        _cluster_role_binding("system:discovery", AUTHENTICATED),
        _cluster_role_binding("system:basic-user", AUTHENTICATED),
        _cluster_role_binding("system:public-info-viewer", AUTHENTICATED, UNAUTHENTICATED),
    ]
    # Rule dicts are shared between roles and module constants; hand out independent copies.
    return copy.deepcopy([*roles, *bindings])
