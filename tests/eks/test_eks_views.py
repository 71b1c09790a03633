"""The EKS upgrade views against AWS over the wire (moto and the AWS front) and a sandbox cluster's RBAC."""

from __future__ import annotations

from typing import Any

import pytest

from periscope_core.domain.errors import AwsAccessDenied, AwsResourceNotFound, Forbidden, NotEks
from periscope_core.domain.identity import Impersonation

from .aws_peer import seed_amazon_images
from .conftest import CLUSTER, EKS_NAME, REGION, EksViews

SRE = Impersonation(user="sre")
MALLORY = Impersonation(user="mallory")
"""Bound to nothing in the cluster."""


def _insight(ident: str, status: str, name: str, **more: Any) -> dict[str, Any]:
    return {"id": ident, "name": name, "category": "UPGRADE_READINESS", "kubernetesVersion": "1.31",
            "lastRefreshTime": 1763769600, "lastTransitionTime": 1763683200, "description": f"Checks {name}",
            "insightStatus": {"status": status, "reason": f"{name}: {status.lower()}"}, **more}  # fmt: skip


DEPRECATED = _insight(
    "a1", "ERROR", "Deprecated APIs removed in Kubernetes v1.32",
    recommendation="Update manifests and clients to use newer Kubernetes APIs",
    additionalInfo={"Kubernetes deprecation guide": "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"},
    resources=[{"insightStatus": {"status": "ERROR"},
                "kubernetesResourceUri": "/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas/probes"}],
    categorySpecificSummary={"deprecationDetails": [{
        "usage": "/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas",
        "replacedWith": "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas",
        "stopServingVersion": "1.32", "startServingReplacementVersion": "1.29",
        "clientStats": [{"userAgent": "helm/3.14", "numberOfRequestsLast30Days": 42, "lastRequestTime": 1763683200}]}]},
)  # fmt: skip


def _seed_insights(views: EksViews) -> None:
    views.tables.insights[EKS_NAME] = [
        DEPRECATED,
        _insight("b2", "PASSING", "Kubelet version skew"),
        _insight("c3", "WARNING", "Amazon Linux 2 compatibility"),
        _insight("d4", "PASSING", "Cluster health issues"),
        _insight("e5", "UNKNOWN", "EKS add-on version compatibility"),
    ]


async def test_insights_are_listed_across_pages_with_counts(views: EksViews) -> None:
    _seed_insights(views)
    page = await views.service.insights(CLUSTER, as_=SRE)
    assert page.kubernetes_version == "1.30"
    assert [i.id for i in page.items] == ["a1", "b2", "c3", "d4", "e5"]  # three pages of two
    assert page.counts == {"ERROR": 1, "PASSING": 2, "WARNING": 1, "UNKNOWN": 1}
    assert page.items[0].insightStatus.reason == "Deprecated APIs removed in Kubernetes v1.32: error"
    assert views.tables.asked["eks:ListInsights"] == 3


async def test_one_insight_carries_the_deprecated_apis_and_who_still_calls_them(views: EksViews) -> None:
    _seed_insights(views)
    insight = await views.service.insight(CLUSTER, "a1", as_=SRE)
    [detail] = insight.categorySpecificSummary.deprecationDetails
    assert detail.stopServingVersion == "1.32"
    assert detail.replacedWith == "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas"
    assert detail.clientStats[0]["userAgent"] == "helm/3.14"
    assert insight.resources[0].kubernetesResourceUri.endswith("/flowschemas/probes")
    assert insight.recommendation.startswith("Update manifests")
    with pytest.raises(AwsResourceNotFound):
        await views.service.insight(CLUSTER, "zz", as_=SRE)


async def test_insights_are_cached_for_an_hour_and_misses_share_one_call(views: EksViews) -> None:
    import anyio

    _seed_insights(views)
    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(lambda: views.service.insights(CLUSTER, as_=SRE))
    assert views.tables.asked["eks:ListInsights"] == 3  # one listing (three pages), for five callers
    views.tables.insights[EKS_NAME] = []
    assert len((await views.service.insights(CLUSTER, as_=SRE)).items) == 5


async def test_node_groups_show_skew_and_ami_drift_from_aws_s_parameters(views: EksViews) -> None:
    views.tables.parameters["/aws/service/eks/optimized-ami/1.30/amazon-linux-2/recommended/release_version"] = (
        "1.30.4-20241024")  # fmt: skip
    views.tables.parameters[
        "/aws/service/eks/optimized-ami/1.28/amazon-linux-2023/x86_64/standard/recommended/release_version"] = (
        "1.28.13-20240817")  # fmt: skip
    page = await views.service.nodegroups(CLUSTER, as_=SRE)
    general, legacy = page.items
    assert (general.name, general.minor_versions_behind, general.capacity_type) == ("general", 0, "ON_DEMAND")
    assert (general.scaling.desired_size, general.instance_types) == (3, ["m6i.large"])
    assert (general.ami.status, general.ami.latest, general.ami.source) == ("drifted", "1.30.4-20241024", "ssm")
    assert (legacy.name, legacy.minor_versions_behind) == ("legacy-batch", 2)
    assert (legacy.ami.status, legacy.ami.current) == ("current", "1.28.13-20240817")


async def test_without_the_parameter_the_newest_public_image_decides(views: EksViews) -> None:
    seed_amazon_images(REGION, {
        "amazon-eks-node-1.30-v20240917": "2024-09-18T00:00:00+00:00",
        "amazon-eks-node-1.30-v20241109": "2024-11-10T00:00:00+00:00",
        "amazon-eks-node-1.29-v20241201": "2024-12-02T00:00:00+00:00",
    })  # fmt: skip
    general = await views.service.nodegroup(CLUSTER, "general", as_=SRE)
    assert (general.ami.status, general.ami.latest, general.ami.source) == (
        "drifted", "amazon-eks-node-1.30-v20241109", "ec2")  # fmt: skip
    views.tables.denied.add("ssm:GetParameter")
    legacy = await views.service.nodegroup(CLUSTER, "legacy-batch", as_=SRE)
    assert legacy.ami.status == "unknown"
    assert "ssm:GetParameter" in legacy.ami.reason
    assert "no public image matches" in legacy.ami.reason


async def test_add_ons_show_the_newest_build_for_the_cluster_s_version(views: EksViews) -> None:
    def version(v: str, *clusters: str, default: str = "") -> dict[str, Any]:
        return {"addonVersion": v, "compatibilities": [{"clusterVersion": c, "defaultVersion": c == default}
                                                        for c in clusters]}  # fmt: skip

    views.tables.addons[EKS_NAME] = [
        {"addonName": "vpc-cni", "addonVersion": "v1.18.3-eksbuild.2", "status": "ACTIVE",
         "serviceAccountRoleArn": "arn:aws:iam::123456789012:role/vpc-cni", "owner": "aws", "publisher": "eks"},
        {"addonName": "coredns", "addonVersion": "v1.11.3-eksbuild.1", "status": "DEGRADED", "owner": "aws",
         "health": {"issues": [{"code": "InsufficientNumberOfReplicas", "message": "1 of 2 ready"}]}},
    ]  # fmt: skip
    views.tables.addon_versions = [
        {"addonName": "vpc-cni", "type": "networking", "owner": "aws", "publisher": "eks", "addonVersions": [
            version("v1.18.3-eksbuild.2", "1.30", "1.29", default="1.30"), version("v1.19.0-eksbuild.1", "1.30"),
            version("v1.20.1-eksbuild.1", "1.31")]},
        {"addonName": "coredns", "type": "networking", "owner": "aws", "publisher": "eks", "addonVersions": [
            version("v1.11.3-eksbuild.1", "1.30", default="1.30")]},
    ]  # fmt: skip
    page = await views.service.addons(CLUSTER, as_=SRE)
    coredns, cni = page.items
    assert (cni.name, cni.latest_version, cni.update_available) == ("vpc-cni", "v1.19.0-eksbuild.1", True)
    assert (coredns.update_available, coredns.status) == (False, "DEGRADED")
    assert coredns.health[0].message == "1 of 2 ready"
    catalog = await views.service.catalog(CLUSTER, as_=SRE)
    assert catalog.items[1].versions == ["v1.19.0-eksbuild.1", "v1.18.3-eksbuild.2"]  # newest first, 1.30 only
    assert catalog.items[1].default_version == "v1.18.3-eksbuild.2"


async def test_a_catalog_refusal_keeps_the_add_ons_and_says_why(views: EksViews) -> None:
    views.tables.addons[EKS_NAME] = [{"addonName": "kube-proxy", "addonVersion": "v1.30.0-eksbuild.3"}]
    views.tables.denied.add("eks:DescribeAddonVersions")
    page = await views.service.addons(CLUSTER, as_=SRE)
    assert [(a.name, a.update_available) for a in page.items] == [("kube-proxy", None)]
    assert "eks:DescribeAddonVersions" in page.catalog_error


async def test_an_action_periscope_s_role_lacks_is_named(views: EksViews) -> None:
    views.tables.denied.add("eks:DescribeNodegroup")
    with pytest.raises(AwsAccessDenied, match=r"eks:DescribeNodegroup .*grant eks:DescribeNodegroup"):
        await views.service.nodegroups(CLUSTER, as_=SRE)


async def test_only_those_who_may_list_nodes_see_the_views(views: EksViews) -> None:
    _seed_insights(views)
    with pytest.raises(Forbidden, match="may list nodes"):
        await views.service.insights(CLUSTER, as_=MALLORY)
    assert views.tables.asked["eks:ListInsights"] == 0  # refused before AWS is asked


async def test_a_cluster_on_another_backend_is_not_eks(views: EksViews) -> None:
    with pytest.raises(NotEks) as refused:
        await views.service.addons("lab", as_=SRE)
    assert (refused.value.http_status, refused.value.code) == (422, "E_NOT_EKS")
