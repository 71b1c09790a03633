"""The browse API over HTTP, against the sandbox fleet through the kubeconfig backend."""

from __future__ import annotations

import ssl
from datetime import datetime
from typing import Any

import httpx
import pytest
import yaml

# ``console`` is the session fixture from conftest.py: url, fleet, server.

def _json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


@pytest.fixture(scope="module")
def cluster(console: Any) -> str:
    """A fleet cluster that serves the Karpenter CRDs (the seeded production cluster)."""
    with httpx.Client(base_url=console.url, timeout=20) as client:
        for name in console.fleet.clusters:
            crds = client.get(f"/api/clusters/{name}/crds").json()["crds"]
            if any(c["group"] == "karpenter.sh" for c in crds):
                return str(name)
    raise AssertionError("no fleet cluster serves the Karpenter CRDs")


def test_clusters_lists_the_fleet_and_no_file_paths(console: Any, http: httpx.Client) -> None:
    body = _json(http.get("/api/clusters"))
    names = {c["name"] for c in body["clusters"]}
    assert names == set(console.fleet.clusters)
    assert len(names) >= 3
    for entry in body["clusters"]:
        assert entry["backend"] == "kubeconfig"
        assert entry["execEnabled"] is True
        assert not [k for k in entry if "path" in k.lower()]
    assert str(console.workdir) not in http.get("/api/clusters").text


def test_health_features_and_openapi(http: httpx.Client) -> None:
    assert _json(http.get("/healthz")) == {"status": "ok"}
    assert _json(http.get("/healthz?verbose"))["clusters"] >= 3
    features = _json(http.get("/api/features"))
    assert features["watchStreams"][:2] == ["pods", "events"]
    assert "secrets" not in features["watchStreams"]
    assert (features["commit"], features["channel"]) == ("abc1234", "stable")
    response = http.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/clusters/{cluster}/{plural}" in schema["paths"]
    assert "listResources" in str(schema["paths"])


def test_pod_list_is_the_common_envelope_with_summary_rows(http: httpx.Client, cluster: str) -> None:
    page = _json(http.get(f"/api/clusters/{cluster}/pods"))
    assert set(page) == {"items", "continue", "resourceVersion"}
    assert page["continue"] == ""
    assert page["resourceVersion"]
    assert page["items"], "the seeded cluster has pods"
    row = page["items"][0]
    assert {"name", "namespace", "uid", "createdAt", "labels", "phase", "status", "ready", "restarts",
            "node", "podIP", "containers"} <= set(row)
    assert "spec" not in row
    assert "managedFields" not in row
    statuses = {r["status"] for r in page["items"]}
    assert statuses & {"CrashLoopBackOff", "ImagePullBackOff", "Error", "Pending"}, statuses


def test_paging_passes_limit_and_continue_to_the_apiserver(http: httpx.Client, cluster: str) -> None:
    everything = _json(http.get(f"/api/clusters/{cluster}/pods"))["items"]
    assert len(everything) > 2
    seen: list[str] = []
    token = ""
    for _ in range(len(everything)):
        page = _json(http.get(f"/api/clusters/{cluster}/pods", params={"limit": 2, "continue": token}))
        assert len(page["items"]) <= 2
        seen += [f"{r['namespace']}/{r['name']}" for r in page["items"]]
        token = page["continue"]
        if not token:
            break
    assert sorted(seen) == sorted(f"{r['namespace']}/{r['name']}" for r in everything)


def test_namespace_and_label_filters(http: httpx.Client, cluster: str) -> None:
    pods = _json(http.get(f"/api/clusters/{cluster}/pods"))["items"]
    namespace = pods[0]["namespace"]
    only = _json(http.get(f"/api/clusters/{cluster}/pods", params={"namespace": namespace}))["items"]
    assert only
    assert {r["namespace"] for r in only} == {namespace}
    labelled = next(r for r in pods if r["labels"])
    key, value = next(iter(labelled["labels"].items()))
    matched = _json(http.get(f"/api/clusters/{cluster}/pods", params={"labelSelector": f"{key}={value}"}))
    assert matched["items"]
    assert all(r["labels"].get(key) == value for r in matched["items"])


def test_detail_yaml_and_events_of_a_pod(http: httpx.Client, cluster: str) -> None:
    pod = _json(http.get(f"/api/clusters/{cluster}/pods"))["items"][0]
    base = f"/api/clusters/{cluster}/pods/{pod['namespace']}/{pod['name']}"
    obj = _json(http.get(base))
    assert (obj["kind"], obj["metadata"]["name"], obj["metadata"]["uid"]) == ("Pod", pod["name"], pod["uid"])
    assert "managedFields" not in obj["metadata"]

    text = http.get(f"{base}/yaml")
    assert text.status_code == 200
    assert text.headers["content-type"].startswith("application/yaml")
    doc = yaml.safe_load(text.text)
    assert (doc["kind"], doc["metadata"]["name"]) == ("Pod", pod["name"])
    assert "managedFields" not in text.text

    events = _json(http.get(f"{base}/events"))
    assert set(events) == {"items", "continue", "resourceVersion"}
    for event in events["items"]:
        assert event["involvedObject"]["name"] == pod["name"]
        assert event["involvedObject"]["kind"] == "Pod"


def test_events_are_newest_first(http: httpx.Client, cluster: str) -> None:
    events = _json(http.get(f"/api/clusters/{cluster}/events"))["items"]
    assert events, "the seeded cluster has events"
    times = [datetime.fromisoformat(e["lastTimestamp"]) for e in events]
    assert times == sorted(times, reverse=True)
    target = events[0]["involvedObject"]
    if target["kind"] == "Pod":
        mine = _json(http.get(f"/api/clusters/{cluster}/pods/{target['namespace']}/{target['name']}/events"))
        assert mine["items"]


def test_cluster_scoped_detail_and_yaml(http: httpx.Client, cluster: str) -> None:
    node = _json(http.get(f"/api/clusters/{cluster}/nodes"))["items"][0]
    assert {"ready", "roles", "kubeletVersion", "unschedulable", "capacity"} <= set(node)
    assert _json(http.get(f"/api/clusters/{cluster}/nodes/{node['name']}"))["kind"] == "Node"
    text = http.get(f"/api/clusters/{cluster}/nodes/{node['name']}/yaml")
    assert yaml.safe_load(text.text)["metadata"]["name"] == node["name"]
    ns = _json(http.get(f"/api/clusters/{cluster}/namespaces"))["items"][0]
    assert ns["phase"] == "Active"
    assert _json(http.get(f"/api/clusters/{cluster}/namespaces/{ns['name']}/events"))["items"] is not None


def test_scope_mismatch_is_a_clear_400(http: httpx.Client, cluster: str) -> None:
    body = _json(http.get(f"/api/clusters/{cluster}/pods/somepod"), 400)
    assert body["error"] == "E_INVALID_REQUEST"
    assert "namespaced" in body["message"]


def test_crds_catalog_includes_karpenter(http: httpx.Client, cluster: str) -> None:
    crds = {c["name"]: c for c in _json(http.get(f"/api/clusters/{cluster}/crds"))["crds"]}
    assert {"nodepools.karpenter.sh", "nodeclaims.karpenter.sh", "ec2nodeclasses.karpenter.k8s.aws"} <= set(crds)
    pools = crds["nodepools.karpenter.sh"]
    assert (pools["kind"], pools["scope"], pools["servedVersion"], pools["storageVersion"]) == (
        "NodePool", "Cluster", "v1", "v1")
    version = next(v for v in pools["versions"] if v["name"] == "v1")
    assert {"name", "served", "storage", "deprecated", "printerColumns"} <= set(version)
    assert "NodeClass" in [c["name"] for c in version["printerColumns"]]


def test_custom_resources_nodepools(http: httpx.Client, cluster: str) -> None:
    base = f"/api/clusters/{cluster}/customresources/karpenter.sh/v1/nodepools"
    page = _json(http.get(base))
    assert page["scope"] == "Cluster"
    assert [c["name"] for c in page["columns"]] == ["NodeClass", "Nodes", "Ready", "Age"]
    assert page["items"], "the seeded cluster has NodePools"
    pool = page["items"][0]
    assert set(pool["columns"]) == {"NodeClass", "Nodes", "Ready", "Age"}
    assert pool["columns"]["Age"] == pool["createdAt"]

    obj = _json(http.get(f"{base}/_/{pool['name']}"))
    assert (obj["kind"], obj["apiVersion"]) == ("NodePool", "karpenter.sh/v1")
    assert "managedFields" not in obj["metadata"]
    text = http.get(f"{base}/_/{pool['name']}/yaml")
    assert text.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(text.text)["metadata"]["name"] == pool["name"]
    assert "items" in _json(http.get(f"{base}/_/{pool['name']}/events"))

    paged = _json(http.get(base, params={"limit": 1}))
    assert len(paged["items"]) == 1


def test_unknown_custom_resource_is_404(http: httpx.Client, cluster: str) -> None:
    body = _json(http.get(f"/api/clusters/{cluster}/customresources/example.com/v1/widgets"), 404)
    assert body["error"] == "E_UNKNOWN_KIND"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/clusters/nope/pods", "E_CLUSTER_NOT_FOUND"),
        ("/api/clusters/{c}/widgets", "E_UNKNOWN_KIND"),
        ("/api/clusters/{c}/pods/default/no-such-pod", "E_NOT_FOUND"),
        ("/api/nope", "E_NOT_FOUND"),
        ("/api/clusters/{c}/pods/a/b/c/d/e", "E_NOT_FOUND"),
        ("/api/nothing-here.js", "E_NOT_FOUND"),
    ],
)
def test_errors_are_json_404s(http: httpx.Client, cluster: str, path: str, code: str) -> None:
    body = _json(http.get(path.format(c=cluster)), 404)
    assert body["error"] == code
    assert body["message"]


def test_upstream_errors_carry_the_apiserver_status(http: httpx.Client, cluster: str) -> None:
    body = _json(http.get(f"/api/clusters/{cluster}/pods/default/no-such-pod"), 404)
    assert body["status"]["reason"] == "NotFound"
    assert body["status"]["code"] == 404


def test_bad_method_and_bad_query_are_json(http: httpx.Client, cluster: str) -> None:
    assert _json(http.post("/api/clusters"), 405)["error"] == "E_METHOD_NOT_ALLOWED"
    bad = _json(http.get(f"/api/clusters/{cluster}/pods", params={"limit": "many"}), 400)
    assert bad["error"] == "E_INVALID_REQUEST"
    assert "limit" in bad["message"]


def _sandbox_client(console: Any, cluster: str) -> httpx.Client:
    api = console.fleet.clusters[cluster]
    context = ssl.create_default_context(cadata=api.ca_pem.decode())
    return httpx.Client(base_url=api.url, verify=context, headers={"Authorization": f"Bearer {api.admin_token}"})


def test_secret_values_never_leave_the_server(console: Any, http: httpx.Client, cluster: str) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "periscope-test-db"},
              "type": "Opaque", "data": {"password": "aHVudGVyMi1zM2NyM3Q=", "user": "YWRtaW4tdXNlcg=="}}
    with _sandbox_client(console, cluster) as sandbox:
        created = sandbox.post("/api/v1/namespaces/default/secrets", json=secret)
        assert created.status_code in (201, 409), created.text
    listing = http.get(f"/api/clusters/{cluster}/secrets", params={"namespace": "default"})
    row = next(r for r in _json(listing)["items"] if r["name"] == "periscope-test-db")
    assert (row["type"], row["keys"]) == ("Opaque", ["password", "user"])
    base = f"/api/clusters/{cluster}/secrets/default/periscope-test-db"
    detail, text = http.get(base), http.get(f"{base}/yaml")
    assert _json(detail)["keys"] == [{"name": "password", "size": 14}, {"name": "user", "size": 10}]
    assert detail.headers["cache-control"] == "no-store"
    for body in (listing.text, detail.text, text.text):
        assert "aHVudGVyMi1zM2NyM3Q" not in body
        assert "YWRtaW4tdXNlcg" not in body


def test_security_headers_and_request_id(http: httpx.Client) -> None:
    for path in ("/api/clusters", "/api/nope", "/schema/openapi.json"):
        response = http.get(path)
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert len(response.headers["x-request-id"]) >= 16
    assert http.get("/healthz", headers={"X-Request-Id": "req-123"}).headers["x-request-id"] == "req-123"
    forged = http.get("/healthz", headers={"X-Request-Id": "bad id\twith tab"}).headers["x-request-id"]
    assert forged != "bad id\twith tab"
