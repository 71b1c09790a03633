"""The sandbox's resource catalog: built-in kinds as kube-apiserver serves them, plus CRDs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from periscope_adapters.sandbox._catalog import Catalog, is_builtin, sort_versions, subresource


@pytest.mark.parametrize(
    ("group", "version", "plural", "kind", "namespaced", "short_names"),
    [
        ("", "v1", "pods", "Pod", True, ("po",)),
        ("", "v1", "services", "Service", True, ("svc",)),
        ("", "v1", "namespaces", "Namespace", False, ("ns",)),
        ("", "v1", "nodes", "Node", False, ("no",)),
        ("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
        ("", "v1", "secrets", "Secret", True, ()),
        ("", "v1", "events", "Event", True, ("ev",)),
        ("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",)),
        ("", "v1", "persistentvolumes", "PersistentVolume", False, ("pv",)),
        ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",)),
        ("", "v1", "endpoints", "Endpoints", True, ("ep",)),
        ("", "v1", "resourcequotas", "ResourceQuota", True, ("quota",)),
        ("", "v1", "limitranges", "LimitRange", True, ("limits",)),
        ("apps", "v1", "deployments", "Deployment", True, ("deploy",)),
        ("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",)),
        ("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",)),
        ("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",)),
        ("apps", "v1", "controllerrevisions", "ControllerRevision", True, ()),
        ("batch", "v1", "jobs", "Job", True, ()),
        ("batch", "v1", "cronjobs", "CronJob", True, ("cj",)),
        ("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ("hpa",)),
        ("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ("pdb",)),
        ("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",)),
        ("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ("netpol",)),
        ("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False, ()),
        ("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, ()),
        ("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ("sc",)),
        ("rbac.authorization.k8s.io", "v1", "roles", "Role", True, ()),
        ("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True, ()),
        ("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False, ()),
        ("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False, ()),
        ("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", False, ("pc",)),
        ("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", False, ()),
        ("coordination.k8s.io", "v1", "leases", "Lease", True, ()),
        ("events.k8s.io", "v1", "events", "Event", True, ("ev",)),
        (
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            False,
            ("crd", "crds"),
        ),
        ("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False, ()),
        ("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", False, ()),
        ("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", False, ()),
        ("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", False, ()),
    ],
)
def test_builtin_kinds_are_served_with_their_real_names(
    group, version, plural, kind, namespaced, short_names
):
    rt = Catalog.builtin().lookup(group, version, plural)
    assert rt is not None
    assert (rt.kind, rt.singular, rt.namespaced, rt.short_names) == (
        kind,
        kind.lower(),
        namespaced,
        short_names,
    )
    assert Catalog.builtin().by_kind(group, version, kind) == rt
    assert is_builtin(rt)


def test_the_all_category_holds_exactly_the_kinds_kubectl_get_all_shows():
    in_all = {rt.plural for rt in Catalog.builtin() if "all" in rt.categories}
    assert in_all == {
        "pods",
        "services",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "horizontalpodautoscalers",
    }


def test_verbs_follow_kube_apiserver():
    catalog = Catalog.builtin()
    assert catalog.lookup("", "v1", "pods").verbs == (
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    )
    assert "deletecollection" not in catalog.lookup("", "v1", "namespaces").verbs
    assert catalog.lookup("authorization.k8s.io", "v1", "selfsubjectaccessreviews").verbs == ("create",)
    assert catalog.lookup("authentication.k8s.io", "v1", "selfsubjectreviews").verbs == ("create",)


def test_api_versions_and_list_kinds():
    catalog = Catalog.builtin()
    assert catalog.lookup("", "v1", "pods").api_version == "v1"
    deployments = catalog.lookup("apps", "v1", "deployments")
    assert (deployments.api_version, deployments.group_version, deployments.list_kind) == (
        "apps/v1",
        "apps/v1",
        "DeploymentList",
    )


def test_group_versions_put_the_core_group_first_and_each_group_once():
    groups = [group for group, _ in Catalog.builtin().group_versions()]
    assert groups[0] == ""
    assert len(groups) == len(set(groups))
    assert dict(Catalog.builtin().group_versions())["autoscaling"] == ["v2"]


def test_resources_of_a_group_version_are_sorted_by_plural():
    plurals = [rt.plural for rt in Catalog.builtin().resources("apps", "v1")]
    assert plurals == ["controllerrevisions", "daemonsets", "deployments", "replicasets", "statefulsets"]
    assert Catalog.builtin().resources("apps", "v9") == []


def test_karpenter_crds_register_one_type_per_served_version(karpenter_crds):
    catalog = Catalog.builtin()
    [nodepools] = catalog.add_crd(karpenter_crds["NodePool"])
    assert (nodepools.group, nodepools.version, nodepools.kind, nodepools.plural, nodepools.singular) == (
        "karpenter.sh",
        "v1",
        "NodePool",
        "nodepools",
        "nodepool",
    )
    assert not nodepools.namespaced
    assert nodepools.categories == ("karpenter",)
    assert nodepools.subresources == ("scale", "status")
    assert [c["name"] for c in nodepools.printer_columns] == [
        "NodeClass",
        "Nodes",
        "Ready",
        "Age",
        "Weight",
        "CPU",
        "Memory",
    ]
    assert not is_builtin(nodepools)
    [ec2] = catalog.add_crd(karpenter_crds["EC2NodeClass"])
    assert ec2.short_names == ("ec2nc", "ec2ncs")
    assert ec2.subresources == ("status",)
    assert catalog.lookup("karpenter.k8s.aws", "v1", "ec2nodeclasses") == ec2
    assert catalog.by_kind("karpenter.sh", "v1", "NodePool") == nodepools


def test_crd_groups_follow_builtin_groups_alphabetically(karpenter_catalog):
    groups = [group for group, _ in karpenter_catalog.group_versions()]
    assert groups[-2:] == ["karpenter.k8s.aws", "karpenter.sh"]


def _multi_version_crd() -> dict[str, Any]:
    def version(name: str, served: bool = True) -> dict[str, Any]:
        return {
            "name": name,
            "served": served,
            "storage": name == "v1",
            "schema": {"openAPIV3Schema": {"type": "object", "description": name}},
        }

    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "kind": "Widget"},
            "versions": [version("v1beta1"), version("v1"), version("v1alpha1"), version("v0", served=False)],
        },
    }


def test_the_highest_priority_served_version_is_preferred():
    catalog = Catalog.builtin()
    added = catalog.add_crd(_multi_version_crd())
    assert {rt.version for rt in added} == {"v1beta1", "v1", "v1alpha1"}
    assert dict(catalog.group_versions())["example.com"] == ["v1", "v1beta1", "v1alpha1"]
    widget = catalog.lookup("example.com", "v1", "widgets")
    assert widget.namespaced
    assert widget.singular == "widget"
    assert catalog.lookup("example.com", "v0", "widgets") is None


def test_crd_schemas_are_kept_per_version_and_isolated_from_the_caller():
    crd = _multi_version_crd()
    catalog = Catalog.builtin()
    catalog.add_crd(crd)
    crd["spec"]["versions"][1]["schema"]["openAPIV3Schema"]["description"] = "changed later"
    assert catalog.crd_schema("example.com", "v1", "Widget") == {"type": "object", "description": "v1"}
    assert catalog.crd_schema("example.com", "v1beta1", "Widget")["description"] == "v1beta1"
    assert catalog.crd_schema("example.com", "v1", "Gadget") is None


def test_re_adding_a_crd_replaces_its_versions_and_removing_it_forgets_them():
    catalog = Catalog.builtin()
    crd = _multi_version_crd()
    catalog.add_crd(crd)
    narrowed = copy.deepcopy(crd)
    narrowed["spec"]["versions"] = narrowed["spec"]["versions"][1:2]
    catalog.add_crd(narrowed)
    assert dict(catalog.group_versions())["example.com"] == ["v1"]
    catalog.remove_crd(crd)
    assert "example.com" not in dict(catalog.group_versions())
    assert catalog.crd_schema("example.com", "v1", "Widget") is None
    catalog.remove_crd(crd)  # a second removal is harmless


def test_builtin_catalogs_are_independent(karpenter_crds):
    first, second = Catalog.builtin(), Catalog.builtin()
    first.add_crd(karpenter_crds["NodePool"])
    assert second.lookup("karpenter.sh", "v1", "nodepools") is None


def test_fingerprint_tracks_content(karpenter_crds):
    catalog = Catalog.builtin()
    empty = catalog.fingerprint
    assert Catalog.builtin().fingerprint == empty
    catalog.add_crd(karpenter_crds["NodePool"])
    assert catalog.fingerprint != empty
    catalog.remove_crd(karpenter_crds["NodePool"])
    assert catalog.fingerprint == empty


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"spec": {"group": "x"}},
        {"spec": {"group": "x", "names": "nope"}},
        {"spec": {"group": "x", "names": {"kind": "A", "plural": "as"}, "versions": [{"served": True}]}},
    ],
)
def test_malformed_crds_are_rejected_with_value_error(broken):
    with pytest.raises(ValueError, match="CustomResourceDefinition"):
        Catalog.builtin().add_crd(broken)


@pytest.mark.parametrize(
    ("plural", "name", "group", "version", "kind", "verbs"),
    [
        ("pods", "log", "", "v1", "Pod", ("get",)),
        ("pods", "exec", "", "v1", "PodExecOptions", ("create", "get")),
        ("pods", "eviction", "policy", "v1", "Eviction", ("create",)),
        ("pods", "status", "", "v1", "Pod", ("get", "patch", "update")),
        ("deployments", "scale", "autoscaling", "v1", "Scale", ("get", "patch", "update")),
        (
            "services",
            "proxy",
            "",
            "v1",
            "ServiceProxyOptions",
            ("create", "delete", "get", "patch", "update"),
        ),
        ("serviceaccounts", "token", "authentication.k8s.io", "v1", "TokenRequest", ("create",)),
    ],
)
def test_subresources_describe_their_kind_and_verbs(plural, name, group, version, kind, verbs):
    rt = next(rt for rt in Catalog.builtin() if rt.plural == plural)
    assert name in rt.subresources
    sub = subresource(rt, name)
    assert (sub.group, sub.version, sub.kind, sub.verbs) == (group, version, kind, verbs)


def test_every_declared_subresource_is_known_and_unknown_ones_are_rejected():
    for rt in Catalog.builtin():
        for name in rt.subresources:
            subresource(rt, name)
    with pytest.raises(ValueError, match="pods/teleport"):
        subresource(Catalog.builtin().lookup("", "v1", "pods"), "teleport")


def test_versions_sort_by_kubernetes_priority():
    assert sort_versions(["v1alpha1", "foo", "v1", "v2beta1", "v1beta2", "v2", "v1beta1", "v10"]) == [
        "v10",
        "v2",
        "v1",
        "v2beta1",
        "v1beta2",
        "v1beta1",
        "v1alpha1",
        "foo",
    ]
