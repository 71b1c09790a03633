"""The Karpenter view's service against an in-process sandbox: RBAC, the pending cap, and no Karpenter."""

from __future__ import annotations

from typing import Any

import pytest

from periscope_adapters.sandbox import ADMIN_USER, ApiServer, InProcessTransport
from periscope_adapters.sandbox._demo_karpenter import karpenter_crds
from periscope_adapters.sandbox._manifests import container, namespace, pod
from periscope_core.domain.clusters import ClusterEntry, ClusterRegistry
from periscope_core.domain.errors import Forbidden
from periscope_core.domain.identity import BRIDGE, Impersonation
from periscope_core.domain.tier_rbac import periscope_rbac_objects, tier_group
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.karpenter import PENDING_CAP, KarpenterService
from periscope_core.testing.backends import StaticBackend

READ_TIER = Impersonation(user="reader", groups=(tier_group("read"),))
ADMIN_TIER = Impersonation(user="root", groups=(tier_group("admin"),))


def _service(api: ApiServer) -> KarpenterService:
    registry = ClusterRegistry(clusters=(ClusterEntry(name="c1", backend="static"),))
    return KarpenterService(ClusterDirectory(registry, {"static": StaticBackend(InProcessTransport(api, ADMIN_USER))}))


def _stuck(name: str, created: str) -> dict[str, Any]:
    manifest = pod("jobs", name, [container("app", "busybox:1.36", port=None)])
    manifest["metadata"]["creationTimestamp"] = created
    manifest["status"] = {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available"}]}
    return manifest


@pytest.fixture
def api() -> ApiServer:
    api = ApiServer(name="c1")
    for crd in karpenter_crds():
        api.add_crd(crd)
    for obj in periscope_rbac_objects():
        api.create_object(obj)
    api.create_object(namespace("jobs"))
    return api


async def test_the_oldest_fifty_of_many_pending_pods(api: ApiServer) -> None:
    for minute in range(PENDING_CAP + 5):
        api.create_object(_stuck(f"job-{minute:02d}", f"2026-11-22T07:{minute:02d}:00Z"))
    starting = pod("jobs", "just-created", [container("app", "busybox:1.36", port=None)])
    starting["status"] = {"phase": "Pending"}  # not yet looked at by the scheduler: not Karpenter's business
    api.create_object(starting)
    overview = await _service(api).overview("c1", as_=ADMIN_TIER)
    assert (overview.pending_total, len(overview.pending_pods)) == (PENDING_CAP + 5, PENDING_CAP)
    assert [p.name for p in overview.pending_pods[:2]] == ["job-00", "job-01"]
    assert overview.pending_pods[0].node_pools is None  # no event yet: nothing to parse, nothing invented
    assert overview.pending_pods[0].message == ""


async def test_the_read_tier_sees_it_and_a_user_without_a_tier_is_forbidden(api: ApiServer) -> None:
    assert (await _service(api).overview("c1", as_=READ_TIER)).available
    with pytest.raises(Forbidden):
        await _service(api).overview("c1", as_=Impersonation(user="stranger"))


async def test_without_the_controller_s_metrics_the_pools_are_unpriced(api: ApiServer) -> None:
    api.create_object({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "general"},
                       "spec": {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws",
                                                                       "kind": "EC2NodeClass", "name": "default"},
                                                      "requirements": []}}}})  # fmt: skip
    overview = await _service(api).overview("c1", as_=ADMIN_TIER)
    assert overview.metrics.available is False
    assert "services" in overview.metrics.reason  # the karpenter Service does not exist here
    assert [(p.name, p.cost_per_hour) for p in overview.node_pools] == [("general", None)]


async def test_without_karpenter_v1_the_view_is_unavailable() -> None:
    api = ApiServer(name="c1")
    overview = await _service(api).overview("c1", as_=BRIDGE)
    assert overview.available is False
    assert overview.node_pools == []
