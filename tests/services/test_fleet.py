"""The fleet summary against sandbox apiservers (in process): counts, signals, failures and reuse."""

from __future__ import annotations

from typing import Any

import pytest

from periscope_adapters.sandbox import ADMIN_USER, ApiServer, InProcessTransport
from periscope_adapters.sandbox._manifests import container, namespace, node, pod
from periscope_core.domain.clusters import ClusterEntry, ClusterRegistry
from periscope_core.domain.identity import Impersonation
from periscope_core.domain.tier_rbac import periscope_rbac_objects, tier_group
from periscope_core.services.browse import BrowseService
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.fleet import FleetService
from periscope_core.testing.backends import StaticBackend

VIEWER = Impersonation(user="viewer", groups=(tier_group("read"),))
NOBODY = Impersonation(user="nobody")
ENTRIES = (
    ClusterEntry(name="prod", backend="static", environment="prod", region="eu-west-1",
                 arn="arn:aws:eks:eu-west-1:111122223333:cluster/prod", tags={"team": "core"}),
    ClusterEntry(name="staging", backend="static", environment="staging"),
    ClusterEntry(name="lab", backend="static"),
)  # fmt: skip


def _pod(name: str, *, phase: str = "Running", waiting: str = "", terminated: str = "") -> dict[str, Any]:
    manifest = pod("shop", name, [container("app", "nginx:1.27")], nodeName="n1")
    state: dict[str, Any] = {"running": {}}
    if waiting:
        state = {"waiting": {"reason": waiting}}
    elif terminated:
        state = {"terminated": {"reason": terminated, "exitCode": 137}}
    manifest["status"] = {"phase": phase, "containerStatuses": [
        {"name": "app", "ready": not (waiting or terminated), "restartCount": 3 if waiting else 0, "state": state,
         "image": "nginx:1.27", "imageID": "", "started": True}]}  # fmt: skip
    return manifest


def _cluster(*pods: dict[str, Any], nodes_ready: tuple[bool, ...] = (True,)) -> ApiServer:
    api = ApiServer(name="fleet")
    api.create_object(namespace("shop"))
    for obj in periscope_rbac_objects():
        api.create_object(obj)
    for index, ready in enumerate(nodes_ready):
        manifest = node(f"n{index + 1}", zone="eu-west-1a", instance_type="m6i.large", ip=f"10.0.0.{index + 1}")
        if not ready:
            for condition in manifest["status"]["conditions"]:
                if condition["type"] == "Ready":
                    condition["status"] = "False"
        api.create_object(manifest)
    for manifest in pods:
        api.create_object(manifest)
    return api


@pytest.fixture
def apis() -> dict[str, ApiServer]:
    return {
        "prod": _cluster(_pod("web-1"), _pod("web-2"), _pod("worker", waiting="CrashLoopBackOff"),
                         _pod("puller", phase="Pending", waiting="ImagePullBackOff"),
                         _pod("batch", phase="Failed", terminated="OOMKilled")),
        "staging": _cluster(_pod("web-1"), nodes_ready=(True, False)),
        "lab": _cluster(_pod("web-1"), _pod("web-2")),
    }


def _service(apis: dict[str, ApiServer], **options: Any) -> FleetService:
    transports = {name: InProcessTransport(api, ADMIN_USER) for name, api in apis.items()}
    directory = ClusterDirectory(ClusterRegistry(clusters=ENTRIES), {"static": StaticBackend(transports)})
    return FleetService(directory, BrowseService(directory), **options)


async def test_each_cluster_is_summarized_in_registry_order(apis: dict[str, ApiServer]) -> None:
    fleet = await _service(apis).fleet(as_=VIEWER)
    prod, staging, lab = fleet.clusters
    assert [c.name for c in fleet.clusters] == ["prod", "staging", "lab"]
    assert (prod.status, staging.status, lab.status) == ("degraded", "degraded", "healthy")
    assert prod.summary is not None
    assert (prod.summary.pods.running, prod.summary.pods.pending, prod.summary.pods.failed,
            prod.summary.pods.total) == (3, 1, 1, 5)  # fmt: skip
    assert prod.summary.stuck_or_failed == 3
    assert {(s.kind, s.count) for s in prod.hot_signals} == {("CrashLoop", 1), ("ImagePull", 1), ("OOMKilled", 1)}
    assert (prod.account_id, prod.region, prod.tags) == ("111122223333", "eu-west-1", {"team": "core"})
    assert prod.kubernetes_version.startswith("v1.")
    assert staging.summary is not None
    assert (staging.summary.nodes.ready, staging.summary.nodes.total) == (1, 2)
    assert (lab.hot_signals, lab.error, lab.last_contact is not None) == ([], None, True)
    assert fleet.rollup.by_status == {"degraded": 2, "healthy": 1}
    assert fleet.rollup.by_environment == {"prod": 1, "staging": 1, "other": 1}


async def test_a_caller_without_rights_gets_denied_cards() -> None:
    apis = {name: _cluster(_pod("web")) for name in ("prod", "staging", "lab")}
    fleet = await _service(apis).fleet(as_=NOBODY)
    assert {c.status for c in fleet.clusters} == {"denied"}
    error = fleet.clusters[0].error
    assert error is not None
    assert error.code == "denied"
    assert "nobody" in error.message


async def test_one_failing_or_slow_cluster_does_not_hold_the_others(apis: dict[str, ApiServer]) -> None:
    apis["staging"].faults.fail(r"/api/v1/pods", status=503, times=99)
    apis["lab"].faults.delay(r"/api/v1/nodes", 5.0)
    fleet = await _service(apis, cluster_timeout=0.5).fleet(as_=VIEWER)
    prod, staging, lab = fleet.clusters
    assert prod.status == "degraded"
    assert staging.error is not None
    assert (staging.status, staging.error.code) == ("unknown", "unknown")
    assert lab.error is not None
    assert (lab.status, lab.error.code, lab.error.message) == ("unknown", "timeout", "no answer within 0.5 s")


async def test_answers_are_reused_and_failures_retried_sooner(apis: dict[str, ApiServer]) -> None:
    service = _service(apis, answer_ttl=60.0, failure_ttl=0.0)
    first = await service.fleet(as_=VIEWER)
    for api in apis.values():
        api.faults.fail(r"/api/v1/pods", status=500, times=1)
    again = await service.fleet(as_=VIEWER)
    assert again.clusters == first.clusters  # within the answer's time: nobody was asked
    colleague = Impersonation(user="colleague", groups=(tier_group("read"),))
    other = await service.fleet(as_=colleague)
    assert {c.status for c in other.clusters} == {"unknown"}  # another identity is asked, and fails once
    retried = await service.fleet(as_=colleague)
    assert [c.status for c in retried.clusters] == ["degraded", "degraded", "healthy"]
