"""Impersonation and the RBAC pre-flight against a sandbox apiserver seeded with the tier roles.

The bridge may impersonate only the tier groups (fenced with resourceNames), exactly
as the chart sets it up on a real cluster; every answer is checked against what the
sandbox then actually lets the same identity do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import pytest_asyncio

from periscope_adapters.sandbox import ApiServer, InProcessTransport, UserInfo
from periscope_core.domain.auth_config import AuthorizationConfig
from periscope_core.domain.authz import impersonation_for
from periscope_core.domain.errors import Forbidden, InvalidRequest
from periscope_core.domain.identity import BRIDGE, Impersonation, Principal
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.domain.tier_rbac import periscope_rbac_objects
from periscope_core.ports.transport import ChannelSocket, ClusterTransport, KubeRequest, KubeResponse
from periscope_core.services.can_i import MAX_CHECKS, AccessCheck, CanIService, CheckResult
from periscope_core.services.kube import KubeClient

RBAC = "rbac.authorization.k8s.io"
PODS = GroupVersionResource("", "v1", "pods")
DEPLOYMENTS = GroupVersionResource("apps", "v1", "deployments")
AUTHZ = AuthorizationConfig(mode="tier", groupTiers={"viewers": "read", "oncall": "triage", "sre": "admin"})
READER = impersonation_for(Principal(subject="rita", groups=("viewers",)), AUTHZ)
TRIAGER = impersonation_for(Principal(subject="tom", groups=("oncall",)), AUTHZ)
ADMIN = impersonation_for(Principal(subject="ada", groups=("sre",)), AUTHZ)
BOB = impersonation_for(Principal(subject="bob"), AUTHZ)  # no tier: only his RoleBinding in ci


class CountingTransport(ClusterTransport):
    """A transport that remembers which review kinds went out (and can be broken on purpose)."""

    def __init__(self, inner: ClusterTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def send(self, request: KubeRequest) -> KubeResponse:
        self.paths.append(request.path.rsplit("/", 1)[-1])
        return await self.inner.send(request)

    async def websocket(self, request: KubeRequest, subprotocols: Sequence[str]) -> ChannelSocket:
        return await self.inner.websocket(request, subprotocols)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def count(self, kind: str) -> int:
        return self.paths.count(kind)


def _binding(kind: str, name: str, role_kind: str, role: str, subject: dict[str, str],
             namespace: str = "") -> dict[str, Any]:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": metadata,
            "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role}, "subjects": [subject]}


def seed(api: ApiServer) -> None:
    for namespace in ("web", "ci", "data"):
        api.create_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    for obj in periscope_rbac_objects(bridge_users=["periscope-bridge"]):
        api.create_object(obj)
    bob = {"apiGroup": RBAC, "kind": "User", "name": "bob"}
    api.create_object(_binding("RoleBinding", "bob-edit", "ClusterRole", "edit", bob, "ci"))
    api.create_object(_binding("RoleBinding", "bob-ghost", "Role", "ghost", bob, "data"))
    api.create_object(_binding("RoleBinding", "bob-view", "ClusterRole", "view", bob, "data"))
    for namespace in ("web", "ci"):
        api.create_object({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": namespace},
                           "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}})
    api.create_object({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": [{"name": "api", "image": "api:1"}]}}},
    })


@pytest_asyncio.fixture
async def cluster() -> AsyncIterator[tuple[KubeClient, CountingTransport, ApiServer]]:
    api = ApiServer(name="sandbox")
    seed(api)
    transport = CountingTransport(InProcessTransport(api, UserInfo(name="periscope-bridge",
                                                                    groups=("system:authenticated",))))
    client = KubeClient(transport, cluster="sandbox")
    yield client, transport, api
    await client.aclose()


Cluster = tuple[KubeClient, CountingTransport, ApiServer]


# -- impersonation ------------------------------------------------------------------------


async def test_a_read_tier_user_is_denied_a_delete_and_an_admin_is_allowed(cluster: Cluster) -> None:
    client, _, _ = cluster
    assert [p["metadata"]["name"] for p in (await client.list(PODS, namespace="web", as_=READER)).items] == ["p1"]
    with pytest.raises(Forbidden) as refused:
        await client.delete(PODS, "p1", namespace="web", as_=READER)
    assert 'User "rita" cannot delete resource "pods"' in refused.value.message
    await client.delete(PODS, "p1", namespace="web", as_=ADMIN)


async def test_triage_scales_but_cannot_edit_the_spec(cluster: Cluster) -> None:
    client, _, _ = cluster
    await client.patch(DEPLOYMENTS, "api", {"spec": {"replicas": 3}}, patch_type="merge", namespace="web",
                       subresource="scale", as_=TRIAGER)
    with pytest.raises(Forbidden):
        await client.patch(DEPLOYMENTS, "api", {"spec": {"template": {"spec": {"containers": [
            {"name": "api", "image": "evil:1"}]}}}}, patch_type="strategic", namespace="web", as_=TRIAGER)


async def test_the_bridge_cannot_be_talked_into_system_masters(cluster: Cluster) -> None:
    client, _, _ = cluster
    with pytest.raises(Forbidden, match="impersonate"):
        await client.list(PODS, namespace="web", as_=Impersonation(user="rita", groups=("system:masters",)))
    # Nor can it act on its own: impersonation is all the bridge may do.
    with pytest.raises(Forbidden):
        await client.list(PODS, namespace="web", as_=BRIDGE)


# -- can-i --------------------------------------------------------------------------------

CHECKS = [
    AccessCheck("list", resource="pods", namespace="web"),
    AccessCheck("delete", resource="pods", namespace="web"),
    AccessCheck("delete", resource="pods", namespace="web", name="p1"),
    AccessCheck("patch", group="apps", resource="deployments", namespace="web"),
    AccessCheck("patch", group="apps", resource="deployments", subresource="scale", namespace="web", name="api"),
    AccessCheck("create", resource="pods", subresource="exec", namespace="web", name="p1"),
    AccessCheck("get", resource="secrets", namespace="web"),
    AccessCheck("list", resource="nodes"),
    AccessCheck("delete", resource="namespaces", name="web"),
    AccessCheck("create", group=RBAC, resource="clusterrolebindings"),
    AccessCheck("update", resource="configmaps", namespace="ci"),
    AccessCheck("list", resource="pods", namespace="data"),
]


async def sandbox_says(client: KubeClient, check: AccessCheck, as_: Impersonation) -> bool:
    """The sandbox's own SelfSubjectAccessReview, one check at a time."""
    attributes = {k: v for k, v in (("verb", check.verb), ("group", check.group), ("resource", check.resource),
                                    ("subresource", check.subresource), ("namespace", check.namespace),
                                    ("name", check.name)) if v}
    review = await client.create(GroupVersionResource("authorization.k8s.io", "v1", "selfsubjectaccessreviews"),
                                 {"spec": {"resourceAttributes": attributes}}, as_=as_)
    return bool(review["status"].get("allowed"))


@pytest.mark.parametrize("who", [READER, TRIAGER, ADMIN, BOB], ids=["read", "triage", "admin", "bob"])
async def test_answers_match_the_sandbox_rbac(cluster: Cluster, who: Impersonation) -> None:
    client, _, _ = cluster
    results = await CanIService().check(client, CHECKS, as_=who)
    expected = [await sandbox_says(client, check, who) for check in CHECKS]
    assert [r.allowed for r in results] == expected
    assert all(r.reason == ("" if r.allowed else "denied") for r in results)


async def test_expected_answers_for_the_tiers(cluster: Cluster) -> None:
    client, _, _ = cluster
    service = CanIService()
    reader = [r.allowed for r in await service.check(client, CHECKS, as_=READER)]
    triager = [r.allowed for r in await service.check(client, CHECKS, as_=TRIAGER)]
    admin = [r.allowed for r in await service.check(client, CHECKS, as_=ADMIN)]
    assert reader == [True, False, False, False, False, False, False, True, False, False, False, True]
    assert triager == [True, True, True, False, True, True, False, True, False, False, False, True]
    assert all(admin)


async def test_namespaced_checks_are_batched_into_one_rules_review(cluster: Cluster) -> None:
    client, transport, _ = cluster
    checks = [AccessCheck(verb, resource="pods", namespace="web") for verb in ("get", "list", "watch", "delete")]
    checks.append(AccessCheck("get", resource="pods", subresource="log", namespace="web", name="p1"))
    results = await CanIService().check(client, checks, as_=TRIAGER)
    assert [r.allowed for r in results] == [True, True, True, True, True]
    assert transport.count("selfsubjectrulesreviews") == 1
    assert transport.count("selfsubjectaccessreviews") == 1  # the named subresource check


async def test_an_incomplete_rules_review_falls_back_to_access_reviews(cluster: Cluster) -> None:
    client, transport, _ = cluster
    # bob's binding to the missing Role "ghost" makes the rules review in "data" incomplete.
    checks = [AccessCheck("list", resource="pods", namespace="data"),
              AccessCheck("delete", resource="pods", namespace="data")]
    results = await CanIService().check(client, checks, as_=BOB)
    assert [r.allowed for r in results] == [True, False]
    assert transport.count("selfsubjectrulesreviews") >= 1
    assert transport.count("selfsubjectaccessreviews") == 1  # only the check the rules could not allow


async def test_a_denied_check_names_the_namespaces_where_it_is_allowed(cluster: Cluster) -> None:
    client, _, api = cluster
    # bob cannot list namespaces himself, so the bridge lists them; only where bob may act is shown.
    api.create_object(_binding("ClusterRoleBinding", "bridge-ns", "ClusterRole", "view",
                               {"apiGroup": RBAC, "kind": "User", "name": "periscope-bridge"}))
    results = await CanIService().check(client, [AccessCheck("delete", resource="pods", namespace="web"),
                                                 AccessCheck("list", resource="pods", namespace="web")], as_=BOB)
    assert results[0] == CheckResult(allowed=False, reason="denied", namespaces=("ci",))
    assert results[1] == CheckResult(allowed=False, reason="denied", namespaces=("ci", "data"))


async def test_a_user_who_can_list_namespaces_finds_them_himself(cluster: Cluster) -> None:
    client, _, _ = cluster
    [result] = await CanIService().check(client, [AccessCheck("delete", resource="pods", namespace="web")],
                                         as_=READER)
    assert result == CheckResult(allowed=False, reason="denied", namespaces=())


async def test_answers_are_cached_per_identity_for_the_ttl(cluster: Cluster) -> None:
    client, transport, _ = cluster
    now = [0.0]
    service = CanIService(ttl=30, clock=lambda: now[0])
    checks = [AccessCheck("list", resource="pods", namespace="web"), AccessCheck("list", resource="nodes")]
    first = await service.check(client, checks, as_=READER)
    sent = len(transport.paths)
    assert await service.check(client, checks, as_=READER) == first
    assert len(transport.paths) == sent
    await service.check(client, checks, as_=ADMIN)  # another identity is never served from the cache
    assert len(transport.paths) > sent
    sent = len(transport.paths)
    now[0] = 31
    await service.check(client, checks, as_=READER)
    assert len(transport.paths) > sent


async def test_the_cache_is_bounded(cluster: Cluster) -> None:
    client, transport, _ = cluster
    service = CanIService(max_entries=2)
    checks = [AccessCheck("list", resource=r) for r in ("nodes", "namespaces", "persistentvolumes")]
    await service.check(client, checks, as_=READER)
    sent = len(transport.paths)
    await service.check(client, checks[:1], as_=READER)  # evicted: asked again
    assert len(transport.paths) == sent + 1


async def test_limits(cluster: Cluster) -> None:
    client, transport, _ = cluster
    assert await CanIService().check(client, [], as_=READER) == []
    with pytest.raises(InvalidRequest, match="limit 64"):
        await CanIService().check(client, [AccessCheck("get", resource="pods")] * (MAX_CHECKS + 1), as_=READER)
    with pytest.raises(InvalidRequest, match=r"checks\[1\]"):
        await CanIService().check(client, [AccessCheck("get", resource="pods"), AccessCheck("get")], as_=READER)
    assert transport.paths == []


async def test_failures_fail_closed_with_a_reason_and_are_not_cached(cluster: Cluster) -> None:
    client, _, api = cluster
    service = CanIService(review_timeout=0.2)
    check = [AccessCheck("list", resource="nodes")]
    api.faults.delay("selfsubjectaccessreviews", 1.0)
    assert await service.check(client, check, as_=ADMIN) == [CheckResult(allowed=False, reason="timeout")]
    api.faults.clear()
    api.faults.fail("selfsubjectaccessreviews", status=503)
    assert await service.check(client, check, as_=ADMIN) == [
        CheckResult(allowed=False, reason="apiserver_unreachable")
    ]
    assert await service.check(client, check, as_=ADMIN) == [CheckResult(allowed=True)]
    await client.transport.aclose()
    fresh = CanIService()
    assert await fresh.check(client, check, as_=ADMIN) == [CheckResult(allowed=False,
                                                                       reason="apiserver_unreachable")]


async def test_an_identity_the_bridge_may_not_impersonate_is_denied(cluster: Cluster) -> None:
    client, _, _ = cluster
    rogue = Impersonation(user="rita", groups=("system:masters",))
    assert await CanIService().check(client, [AccessCheck("list", resource="nodes")], as_=rogue) == [
        CheckResult(allowed=False, reason="denied")
    ]
