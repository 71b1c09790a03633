"""The tier roles mean what they say, judged by the sandbox's kube-apiserver RBAC evaluator."""

from __future__ import annotations

import itertools

import pytest

from periscope_adapters.sandbox._impersonation import ImpersonationDenied, resolve_impersonation
from periscope_adapters.sandbox._rbac import Attributes, Authorizer, RbacObjectList, UserInfo
from periscope_core.domain.tier_rbac import (
    TIERS,
    impersonator_cluster_role,
    periscope_rbac_objects,
    tier_group,
    tier_rules,
)

AUTHZ = Authorizer(RbacObjectList(periscope_rbac_objects(extra_groups=["periscope:devs"])))
BRIDGE = UserInfo(name="bridge", groups=("periscope-bridge", "system:authenticated"))


def may(tier: str, verb: str, resource: str, *, group: str = "", subresource: str = "", ns: str = "web") -> bool:
    user = UserInfo(name="alice", groups=(tier_group(tier), "system:authenticated"))
    attrs = Attributes(user=user, verb=verb, group=group, resource=resource, subresource=subresource,
                       namespace=ns, name="x")
    return AUTHZ.authorize(attrs).allowed


@pytest.mark.parametrize(
    ("verb", "resource", "group", "subresource", "lowest"),
    [
        ("list", "pods", "", "", "read"),
        ("get", "pods", "", "log", "read"),
        ("list", "nodes", "", "", "read"),
        ("patch", "deployments", "apps", "scale", "triage"),
        ("delete", "pods", "", "", "triage"),
        ("create", "pods", "", "exec", "triage"),
        ("create", "pods", "", "eviction", "triage"),
        ("patch", "deployments", "apps", "", "write"),
        ("update", "statefulsets", "apps", "", "write"),
        ("get", "secrets", "", "", "write"),
        ("create", "rolebindings", "rbac.authorization.k8s.io", "", "maintain"),
        ("patch", "nodes", "", "", "maintain"),
        ("list", "clusterroles", "rbac.authorization.k8s.io", "", "maintain"),
        ("create", "clusterrolebindings", "rbac.authorization.k8s.io", "", "admin"),
        ("delete", "namespaces", "", "", "admin"),
    ],
)
def test_each_action_starts_at_its_tier(verb: str, resource: str, group: str, subresource: str, lowest: str) -> None:
    granted = [t for t in TIERS if may(t, verb, resource, group=group, subresource=subresource)]
    assert granted == list(TIERS[TIERS.index(lowest):])


def test_triage_cannot_edit_a_spec() -> None:
    # Patching the workload itself would let triage change images and commands.
    for resource in ("deployments", "statefulsets", "daemonsets", "replicasets"):
        assert not may("triage", "patch", resource, group="apps")
        assert not may("triage", "update", resource, group="apps")
    assert not may("triage", "create", "pods")
    assert not may("triage", "get", "secrets")


def test_tiers_are_cumulative() -> None:
    for lower, higher in itertools.pairwise(TIERS):
        higher_rules = tier_rules(higher)
        assert all(rule in higher_rules for rule in tier_rules(lower))


def test_the_bridge_may_impersonate_users_and_only_the_fenced_groups() -> None:
    for group in [tier_group(t) for t in TIERS] + ["periscope:devs"]:
        user = resolve_impersonation(BRIDGE, {"impersonate-user": ["alice"], "impersonate-group": [group]}, AUTHZ)
        assert user.name == "alice"
        assert group in user.groups
    for group in ("system:masters", "periscope:ops", "cluster-admins"):
        with pytest.raises(ImpersonationDenied):
            resolve_impersonation(BRIDGE, {"impersonate-user": ["alice"], "impersonate-group": [group]}, AUTHZ)
    with pytest.raises(ImpersonationDenied):
        resolve_impersonation(BRIDGE, {"impersonate-user": ["system:serviceaccount:kube-system:admin"]}, AUTHZ)


def test_impersonator_lists_extra_groups_once() -> None:
    role = impersonator_cluster_role(extra_groups=["periscope:a", tier_group("read"), "periscope:a"])
    names = role["rules"][1]["resourceNames"]
    assert names.count(tier_group("read")) == 1
    assert names.count("periscope:a") == 1
    with pytest.raises(ValueError, match="system:"):
        impersonator_cluster_role(extra_groups=["system:masters"])
