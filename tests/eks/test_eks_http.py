"""The EKS views over HTTP: the real app on uvicorn, its routes, error bodies and audit rows."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import anyio
import httpx

from periscope_core.services.audit import AuditPipeline
from periscope_core.testing.audit import MemoryAuditSink
from periscope_entrypoints.bootstrap import Settings, bootstrap
from periscope_entrypoints.http.server import HttpServer

from .conftest import ARN, CLUSTER, EKS_NAME, REGION, EksViews


async def test_the_views_answer_over_http_and_are_audited(views: EksViews, tmp_path: Path) -> None:
    registry = tmp_path / "clusters.yaml"
    registry.write_text(f"clusters:\n- name: {CLUSTER}\n  backend: eks\n  region: {REGION}\n  arn: {ARN}\n")
    skew = {"id": "i1", "name": "Kubelet version skew", "category": "UPGRADE_READINESS", "kubernetesVersion": "1.31",
            "insightStatus": {"status": "WARNING"}}  # fmt: skip
    views.tables.insights[EKS_NAME] = [skew]
    views.tables.denied.add("eks:ListAddons")
    services = await bootstrap(Settings(clusters_file=str(registry), data_dir=str(tmp_path)),
                               backends={"eks": views.backend}, aws=views.aws)  # fmt: skip
    sink = MemoryAuditSink()
    services = dataclasses.replace(services, audit=AuditPipeline([sink]), aws=None)  # the fixture closes aws
    server = HttpServer(services, host="127.0.0.1", port=0)
    try:
        async with anyio.create_task_group() as tg:
            url = await tg.start(server.serve)
            async with httpx.AsyncClient(base_url=url, timeout=20) as http:
                insights = await http.get(f"/api/clusters/{CLUSTER}/eks/upgrade-insights")
                nodegroups = await http.get(f"/api/clusters/{CLUSTER}/eks/nodegroups/general")
                addons = await http.get(f"/api/clusters/{CLUSTER}/eks/addons")
                missing = await http.get("/api/clusters/nowhere/eks/addons")
            server.stop()
    finally:
        await services.aclose()
    assert insights.status_code == 200, insights.text
    assert insights.headers["cache-control"] == "no-store"
    body = insights.json()
    assert (body["cluster"], body["kubernetesVersion"], body["counts"]) == (CLUSTER, "1.30", {"WARNING": 1})
    assert body["items"][0]["insightStatus"] == {"status": "WARNING", "reason": ""}
    assert nodegroups.json()["amiType"] == "AL2_x86_64"
    assert nodegroups.json()["minorVersionsBehind"] == 0
    assert addons.status_code == 502
    assert addons.json()["error"] == "E_AWS_ACCESS_DENIED"
    assert "grant eks:ListAddons" in addons.json()["message"]
    assert missing.status_code == 404
    rows = [(e.cluster, e.resource.resource, e.resource.name, e.outcome) for e in sink.events if e.verb == "eks_read"]
    assert rows == [(CLUSTER, "insights", "", "success"), (CLUSTER, "nodegroups", "general", "success"),
                    (CLUSTER, "addons", "", "failure"), ("nowhere", "addons", "", "failure")]  # fmt: skip
