"""The Karpenter view over real HTTP, on the demo fleet's Karpenter objects and real-format events."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from conftest import Console
from live_peers import LiveConsole, live_console

from periscope_adapters.sandbox._demo_karpenter import offering_prices
from periscope_core.domain.prometheus_text import samples


@pytest.fixture(scope="module")
def live(console: Console, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    with live_console(console, tmp_path_factory.mktemp("karpenter")) as running:
        yield running


def _overview(live: LiveConsole, cluster: str) -> dict[str, object]:
    with httpx.Client(base_url=live.url, timeout=20) as http:
        response = http.get(f"/api/clusters/{cluster}/karpenter")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, object] = response.json()
    return body


def test_node_pools_claims_by_pool_and_drift(live: LiveConsole) -> None:
    body = _overview(live, "prod")
    assert body["available"] is True
    pools = {p["name"]: p for p in body["nodePools"]}  # type: ignore[attr-defined]
    weights = [p.get("weight", 0) for p in pools.values()]
    assert weights == sorted(weights, reverse=True)  # the heaviest first
    general = pools["general"]
    assert (general["weight"], general["nodeClass"], general["consolidationPolicy"]) == (
        50, "default", "WhenEmptyOrUnderutilized")  # fmt: skip
    assert general["limits"] == {"cpu": "1000", "memory": "1000Gi"}
    assert general["ready"] is True
    groups = {g["nodePool"]: g for g in body["nodeClaims"]}  # type: ignore[attr-defined]
    claims = groups["general"]["claims"]
    assert len(claims) == general["nodes"] == 3
    assert {c["capacityType"] for c in claims} == {"on-demand", "spot"}
    assert all(c["instanceType"] and c["zone"] and c["nodeName"] and c["launched"] for c in claims)
    drifted = [c for c in claims if c.get("drifted")]
    assert groups["general"]["drifted"] == len(drifted) == 1
    assert drifted[0]["driftReason"] == "NodePoolDrifted"


def test_pending_pods_carry_karpenter_s_reasons_per_node_pool(live: LiveConsole) -> None:
    body = _overview(live, "prod")
    pending = {f"{p['namespace']}/{p['name']}": p for p in body["pendingPods"]}  # type: ignore[attr-defined]
    assert body["pendingTotal"] == len(pending) == 3
    assert body["pendingCap"] == 50
    gpu = pending["ml/gpu-trainer-0"]
    assert gpu["source"] == "karpenter"  # its newer default-scheduler event is not mistaken for Karpenter's
    assert [r["nodePool"] for r in gpu["nodePools"]] == ["general", "gpu"]
    assert gpu["nodePools"][1]["reason"] == "did not tolerate nvidia.com/gpu=true:NoSchedule"
    assert gpu["nodePools"][0]["daemonsetOverhead"] == {"cpu": "210m", "memory": "240Mi", "pods": "5"}
    runner = next(p for key, p in pending.items() if key.startswith("ci/"))
    assert [r["nodePool"] for r in runner["nodePools"]] == ["system", "runner-arm"]


def test_node_pools_are_priced_from_the_controller_s_metrics(live: LiveConsole) -> None:
    body = _overview(live, "prod")
    assert body["metrics"] == {"available": True}
    prices = {(s.labels["instance_type"], s.labels["capacity_type"], s.labels["zone"]): s.value
              for s in samples(offering_prices())}  # fmt: skip
    claims = next(g for g in body["nodeClaims"] if g["nodePool"] == "general")["claims"]  # type: ignore[attr-defined]
    cost = sum(prices[(c["instanceType"], c["capacityType"], c["zone"])] for c in claims)
    listed = sum(prices[(c["instanceType"], "on-demand", c["zone"])] for c in claims)
    general = next(p for p in body["nodePools"] if p["name"] == "general")  # type: ignore[attr-defined]
    assert general["costPerHour"] == pytest.approx(cost, abs=1e-4)
    assert general["spotSavings"] == pytest.approx(1 - cost / listed, abs=1e-4)
    assert 0 < general["spotSavings"] < 1  # two of its three nodes are spot
    empty = next(p for p in body["nodePools"] if not p.get("nodes"))  # type: ignore[attr-defined]
    assert (empty["costPerHour"], empty["spotSavings"]) == (0, 0)


def test_a_cluster_without_karpenter_says_so(live: LiveConsole) -> None:
    body = _overview(live, "edge")
    assert (body["available"], body["nodePools"], body["pendingPods"]) == (False, [], [])


def test_each_load_is_audited_with_its_outcome(live: LiveConsole) -> None:
    _overview(live, "staging")
    _overview(live, "edge")
    rows = [e for e in live.audit.events if e.verb == "karpenter_read"]
    ops = {(e.cluster, e.extra["op"], e.outcome) for e in rows}
    assert {("staging", "list", "success"), ("edge", "available_false", "success")} <= ops


def test_an_unknown_cluster_is_a_json_404(live: LiveConsole) -> None:
    with httpx.Client(base_url=live.url, timeout=20) as http:
        response = http.get("/api/clusters/nowhere/karpenter")
    assert (response.status_code, response.json()["error"]) == (404, "E_CLUSTER_NOT_FOUND")
