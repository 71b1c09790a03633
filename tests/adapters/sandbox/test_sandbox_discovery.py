"""Discovery documents, checked the way kubectl (client-go) reads them."""

from __future__ import annotations

from typing import Any

import pytest

from periscope_adapters.sandbox._catalog import Catalog
from periscope_adapters.sandbox._discovery import (
    AGGREGATED_CONTENT_TYPE,
    accepts_aggregated,
    aggregated_discovery,
    api_group_list,
    api_resource_list,
    api_versions,
    version_info,
)

KUBECTL_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)


def test_version_looks_like_a_release_build():
    info = version_info()
    assert info["gitVersion"] == f"v{info['major']}.{info['minor']}.{info['gitVersion'].split('.')[-1]}"
    assert info["major"] == "1"
    assert int(info["minor"]) >= 25
    assert info["platform"] == "linux/amd64"
    assert info["goVersion"].startswith("go1.")
    assert len(info["gitCommit"]) == 40


@pytest.mark.parametrize(
    ("accept", "aggregated"),
    [
        (KUBECTL_ACCEPT, True),
        (AGGREGATED_CONTENT_TYPE, True),
        ("application/json", False),
        ("*/*", False),
        ("application/json, " + AGGREGATED_CONTENT_TYPE, False),
        ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", False),
        ("application/yaml," + AGGREGATED_CONTENT_TYPE, True),
    ],
)
def test_aggregated_discovery_is_served_only_when_preferred(accept, aggregated):
    assert accepts_aggregated(accept) is aggregated


def test_legacy_core_group_document():
    doc = api_versions(server_address="10.0.0.1:6443")
    assert doc["kind"] == "APIVersions"
    assert doc["versions"] == ["v1"]
    assert doc["serverAddressByClientCIDRs"][0]["serverAddress"] == "10.0.0.1:6443"


def test_group_list_names_every_group_with_its_preferred_version(karpenter_catalog):
    doc = api_group_list(karpenter_catalog)
    assert (doc["kind"], doc["apiVersion"]) == ("APIGroupList", "v1")
    groups = {g["name"]: g for g in doc["groups"]}
    assert "" not in groups
    assert groups["apps"]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    assert groups["karpenter.sh"]["versions"] == [{"groupVersion": "karpenter.sh/v1", "version": "v1"}]
    assert [g["name"] for g in doc["groups"]][-2:] == ["karpenter.k8s.aws", "karpenter.sh"]


def _by_name(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in resources}


def test_core_resource_list_matches_kube_apiserver():
    doc = api_resource_list(Catalog.builtin(), "", "v1")
    assert (doc["kind"], doc["apiVersion"], doc["groupVersion"]) == ("APIResourceList", "v1", "v1")
    resources = _by_name(doc["resources"])
    assert resources["pods"] == {
        "name": "pods",
        "singularName": "pod",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["po"],
        "categories": ["all"],
        "storageVersionHash": "xPOwRZ+Yhw8=",  # the value a real cluster reports
    }
    assert resources["pods/log"] == {
        "name": "pods/log",
        "singularName": "",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ["get"],
    }
    assert resources["pods/eviction"]["group"] == "policy"
    assert resources["pods/eviction"]["kind"] == "Eviction"
    assert resources["pods/exec"]["kind"] == "PodExecOptions"
    assert "group" not in resources["pods/status"]
    assert resources["nodes/proxy"]["kind"] == "NodeProxyOptions"
    assert not resources["namespaces"]["namespaced"]


def test_named_group_resource_list():
    resources = _by_name(api_resource_list(Catalog.builtin(), "apps", "v1")["resources"])
    assert resources["deployments"]["storageVersionHash"] == "8aSe+NMegvE="
    assert resources["deployments/scale"] == {
        "name": "deployments/scale",
        "singularName": "",
        "namespaced": True,
        "group": "autoscaling",
        "version": "v1",
        "kind": "Scale",
        "verbs": ["get", "patch", "update"],
    }
    reviews = _by_name(api_resource_list(Catalog.builtin(), "authorization.k8s.io", "v1")["resources"])
    assert reviews["selfsubjectaccessreviews"]["verbs"] == ["create"]
    assert "storageVersionHash" not in reviews["selfsubjectaccessreviews"]


def test_unknown_group_version_has_no_resource_list():
    assert api_resource_list(Catalog.builtin(), "apps", "v1beta1") is None
    assert api_resource_list(Catalog.builtin(), "karpenter.sh", "v1") is None


def test_crd_resource_list(karpenter_catalog):
    resources = _by_name(api_resource_list(karpenter_catalog, "karpenter.sh", "v1")["resources"])
    assert resources["nodepools"]["categories"] == ["karpenter"]
    assert resources["nodepools"]["verbs"] == [
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "create",
        "update",
        "watch",
    ]
    assert resources["nodepools/scale"]["kind"] == "Scale"
    assert resources["nodepools/status"]["kind"] == "NodePool"
    assert set(resources) == {
        "nodeclaims",
        "nodeclaims/status",
        "nodepools",
        "nodepools/scale",
        "nodepools/status",
    }


def _as_legacy(aggregated: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """client-go's SplitGroupsAndResources: aggregated entries into APIResourceList entries."""
    lists: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for group in aggregated["items"]:
        name = group["metadata"].get("name", "")
        for version in group["versions"]:
            assert version["freshness"] == "Current"
            entries = lists.setdefault((name, version["version"]), [])
            for r in version["resources"]:
                namespaced = r["scope"] == "Namespaced"
                entries.append(
                    {
                        "name": r["resource"],
                        "singularName": r["singularResource"],
                        "namespaced": namespaced,
                        "kind": r["responseKind"]["kind"],
                        "verbs": r["verbs"],
                        "shortNames": r.get("shortNames", []),
                        "categories": r.get("categories", []),
                    }
                )
                for sub in r.get("subresources", []):
                    entries.append(
                        {
                            "name": f"{r['resource']}/{sub['subresource']}",
                            "namespaced": namespaced,
                            "kind": sub["responseKind"]["kind"],
                            "verbs": sub["verbs"],
                        }
                    )
    return lists


def _comparable(resource: dict[str, Any]) -> dict[str, Any]:
    kept = ("name", "namespaced", "kind", "verbs") + (
        () if "/" in resource["name"] else ("singularName", "shortNames", "categories")
    )
    return {k: resource.get(k, []) for k in kept}


def test_aggregated_and_legacy_discovery_describe_the_same_resources(karpenter_catalog):
    legacy = _as_legacy(aggregated_discovery(karpenter_catalog, legacy_core=True))
    legacy |= _as_legacy(aggregated_discovery(karpenter_catalog, legacy_core=False))
    expected = {(g, v) for g, versions in karpenter_catalog.group_versions() for v in versions}
    assert set(legacy) == expected
    for (group, version), entries in legacy.items():
        documented = api_resource_list(karpenter_catalog, group, version)["resources"]
        assert [_comparable(e) for e in entries] == [_comparable(r) for r in documented]


def test_aggregated_document_shapes(karpenter_catalog):
    core = aggregated_discovery(karpenter_catalog, legacy_core=True)
    assert (core["kind"], core["apiVersion"]) == ("APIGroupDiscoveryList", "apidiscovery.k8s.io/v2")
    assert len(core["items"]) == 1
    assert "name" not in core["items"][0]["metadata"]
    named = aggregated_discovery(karpenter_catalog, legacy_core=False)
    names = [item["metadata"]["name"] for item in named["items"]]
    assert names[0] == "apps"
    assert "" not in names
    pools = next(
        r
        for item in named["items"]
        if item["metadata"]["name"] == "karpenter.sh"
        for r in item["versions"][0]["resources"]
        if r["resource"] == "nodepools"
    )
    assert pools["scope"] == "Cluster"
    assert pools["responseKind"] == {"group": "karpenter.sh", "version": "v1", "kind": "NodePool"}
    assert {s["subresource"]: s["responseKind"]["group"] for s in pools["subresources"]} == {
        "scale": "autoscaling",
        "status": "karpenter.sh",
    }


def _resolve(catalog: Catalog, name: str) -> list[tuple[str, str, str]]:
    """kubectl's RESTMapper: plural, singular or short name, in discovery's group order."""
    docs = [aggregated_discovery(catalog, legacy_core=True), aggregated_discovery(catalog, legacy_core=False)]
    found = []
    for doc in docs:
        for group in doc["items"]:
            preferred = group["versions"][0]
            for r in preferred["resources"]:
                if name in (r["resource"], r["singularResource"], *r.get("shortNames", ())):
                    found.append((group["metadata"].get("name", ""), preferred["version"], r["resource"]))
    return found


@pytest.mark.parametrize(
    ("typed", "resolved"),
    [
        ("po", ("", "v1", "pods")),
        ("pod", ("", "v1", "pods")),
        ("deploy", ("apps", "v1", "deployments")),
        ("svc", ("", "v1", "services")),
        ("ev", ("", "v1", "events")),  # the core group wins over events.k8s.io
        ("hpa", ("autoscaling", "v2", "horizontalpodautoscalers")),
        ("crds", ("apiextensions.k8s.io", "v1", "customresourcedefinitions")),
        ("nodepools", ("karpenter.sh", "v1", "nodepools")),
        ("nodepool", ("karpenter.sh", "v1", "nodepools")),
        ("ec2nc", ("karpenter.k8s.aws", "v1", "ec2nodeclasses")),
    ],
)
def test_kubectl_names_resolve(karpenter_catalog, typed, resolved):
    assert _resolve(karpenter_catalog, typed)[0] == resolved
