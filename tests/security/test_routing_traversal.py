"""D1-D3: cluster and resource selectors are user input; a forged one is refused before any apiserver call.

Requests are sent with exact request targets (no client-side normalising), to a dev-mode
console whose calls to the sandbox fleet are recorded. A refusal must be a JSON error with
an ``E_`` code, and the console must not have called any cluster while serving it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from security_peers import RecordedConsole, request_id
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus


@pytest.fixture
def http(dev: RecordedConsole) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev.url, timeout=20) as client:
        yield client


def _get(http: httpx.Client, target: str) -> tuple[httpx.Response, str]:
    """GET ``target`` exactly as written (dot segments and escapes included); the response and its request id."""
    rid = request_id()
    response = http.get("/", headers={"X-Request-Id": rid}, extensions={"target": target.encode("ascii")})
    return response, rid


def _refused(dev: RecordedConsole, response: httpx.Response, rid: str, statuses: tuple[int, ...]) -> str:
    assert response.status_code in statuses, (response.status_code, response.text)
    code: str = response.json()["error"]
    assert code.startswith("E_"), code
    assert dev.calls(rid) == [], "the console called a cluster for a refused request"
    return code


def test_d1_the_record_sees_every_call_a_known_cluster_gets(dev: RecordedConsole, http: httpx.Client) -> None:
    # The other tests read "no upstream call" off this record, so first: it does see calls.
    response, rid = _get(http, "/api/clusters/prod/pods?namespace=payments")
    assert response.status_code == 200, response.text
    calls = [(c.cluster, c.method, c.path) for c in dev.calls(rid)]
    assert calls == [("prod", "GET", "/api/v1/namespaces/payments/pods")]


@pytest.mark.parametrize("target", [
    "/api/clusters/{c}/pods",
    "/api/clusters/{c}/pods/payments/web-0",
    "/api/clusters/{c}/pods/watch",
    "/api/clusters/{c}/pods/payments/web-0/exec",
    "/api/clusters/{c}/pods/payments/web-0/logs",
    "/api/clusters/{c}/resources/core/v1/configmaps/payments/settings/yaml",
])  # fmt: skip
@pytest.mark.parametrize("cluster", ["local", "in-cluster", "PROD", "prod%20", "nowhere"])
def test_d1_a_cluster_outside_the_registry_is_a_404_without_any_call(
    dev: RecordedConsole, http: httpx.Client, target: str, cluster: str
) -> None:
    response, rid = _get(http, target.format(c=cluster))
    assert _refused(dev, response, rid, (404,)) == "E_CLUSTER_NOT_FOUND"


async def test_d1_an_exec_socket_to_an_unregistered_cluster_is_refused_before_the_upgrade(dev: RecordedConsole) -> None:
    rid = request_id()
    url = dev.url.replace("http", "ws", 1) + "/api/clusters/local/pods/kube-system/etcd-0/exec"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, origin=dev.url, additional_headers={"X-Request-Id": rid}):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 404
    assert json.loads(refused.value.response.body)["error"] == "E_CLUSTER_NOT_FOUND"
    assert dev.calls(rid) == []


@pytest.mark.parametrize("cluster", [
    "..", "%2e%2e", ".%2E", "..%2f", "..%2fprod", "prod%2f..", "prod%00", "prod%0d%0aX-Injected:%201", "prod%3F",
    "prod%23", "prod%5c..", "a" * 64, "a" * 300, "pr%D0%BEd", "a/b", "%2fetc%2fpasswd",
])  # fmt: skip
def test_d2_a_forged_cluster_name_is_refused_without_any_call(
    dev: RecordedConsole, http: httpx.Client, cluster: str
) -> None:
    response, rid = _get(http, f"/api/clusters/{cluster}/pods")
    _refused(dev, response, rid, (400, 404))


@pytest.mark.parametrize("target", [
    "/api/clusters/prod/pods/payments/..",
    "/api/clusters/prod/pods/payments/.",
    "/api/clusters/prod/pods/payments/%2e%2e",
    "/api/clusters/prod/pods/../../secrets",
    "/api/clusters/prod/pods/..%2f..%2fsecrets",
    "/api/clusters/prod/configmaps/payments/..%2fsecrets",
    "/api/clusters/prod/configmaps/%2e%2e/secrets",
    "/api/clusters/prod/nodes/..",
    "/api/clusters/prod/pods?namespace=..",
    "/api/clusters/prod/pods?namespace=payments%2f..%2fkube-system",
    "/api/clusters/prod/resources/../v1/namespaces/payments/yaml",
    "/api/clusters/prod/resources/core/%2e%2e/namespaces/payments/yaml",
    "/api/clusters/prod/resources/core/v1/configmaps/payments/..",
    "/api/clusters/prod/resources/core/v1/configmaps/payments%23/settings/yaml",
    "/api/clusters/prod/customresources/karpenter.sh/..%2f..%2fapi/v1/secrets",
])  # fmt: skip
def test_d3_a_dot_segment_or_escape_in_a_resource_path_is_refused_without_any_call(
    dev: RecordedConsole, http: httpx.Client, target: str
) -> None:
    response, rid = _get(http, target)
    _refused(dev, response, rid, (400, 404, 405))


@pytest.mark.parametrize("target", [
    # Cluster-scoped editor views build /api/v1/{resource}/{name}: a "?" in the resource
    # would turn the rest into a query and list every Secret, outside the reveal audit.
    "/api/clusters/prod/resources/core/v1/secrets%3Fx=/default/yaml",
    "/api/clusters/prod/resources/core/v1/secrets%3Fx=/default/meta",
    # An escaped slash survives into the apiserver's path and is decoded there.
    "/api/clusters/prod/resources/core/v1/namespaces%252fpayments%252fsecrets/payments-db/yaml",
])  # fmt: skip
def test_d3_a_query_or_escaped_slash_smuggled_into_a_segment_cannot_read_secrets(
    dev: RecordedConsole, http: httpx.Client, target: str
) -> None:
    response, rid = _get(http, target)
    assert _refused(dev, response, rid, (400,)) == "E_INVALID_REQUEST"
    assert "password" not in response.text


def test_d3_an_empty_segment_is_normalised_then_served_as_the_canonical_path(
    dev: RecordedConsole, http: httpx.Client
) -> None:
    canonical, canonical_rid = _get(http, "/api/clusters/prod/pods?namespace=payments")
    doubled, doubled_rid = _get(http, "/api/clusters/prod//pods?namespace=payments")
    assert (canonical.status_code, doubled.status_code) == (200, 200)
    assert [c.path for c in dev.calls(doubled_rid)] == [c.path for c in dev.calls(canonical_rid)]


async def test_d3_an_exec_socket_naming_a_dot_segment_is_refused_before_the_upgrade(dev: RecordedConsole) -> None:
    rid = request_id()
    url = dev.url.replace("http", "ws", 1) + "/api/clusters/prod/pods/payments/%2e%2e/exec"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, origin=dev.url, additional_headers={"X-Request-Id": rid}):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code in (400, 403)
    assert dev.calls(rid) == []
