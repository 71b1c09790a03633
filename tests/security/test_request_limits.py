"""E6: bodies too large or nested too deeply are refused as the client's fault, before any apiserver call.

Sent to the dev-mode console with recorded apiserver calls; Litestar's default body limit
(10 MiB) and the manifest limit (256 KiB, tests/http/test_editing_api.py) bound the size,
and the parsers' recursion bounds the nesting.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from security_peers import RecordedConsole, request_id

BASE = "/api/clusters/prod"
DEEP = 100_000
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def http(dev: RecordedConsole) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev.url, timeout=20) as client:
        yield client


def _refused(dev: RecordedConsole, response: httpx.Response, rid: str, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, code), response.text[:300]
    assert dev.calls(rid) == []


@pytest.mark.parametrize("path", [f"{BASE}/can-i", f"{BASE}/deployments/checkout/web/scale"])
def test_e6_a_body_over_the_limit_is_a_413(dev: RecordedConsole, http: httpx.Client, path: str) -> None:
    rid = request_id()
    body = b'{"checks": [], "replicas": 1, "padding": "' + b"a" * (11 << 20) + b'"}'
    response = http.post(path, content=body, headers={**JSON, "X-Request-Id": rid})
    _refused(dev, response, rid, 413, "E_TOO_LARGE")


@pytest.mark.parametrize(("method", "path", "body", "content_type"), [
    pytest.param("POST", f"{BASE}/can-i", b"[" * DEEP + b"]" * DEEP, "application/json", id="can-i"),
    pytest.param("POST", f"{BASE}/can-i", b'{"checks": [' + b"[" * DEEP + b"]" * DEEP + b"]}", "application/json",
                 id="can-i-check"),
    pytest.param("POST", f"{BASE}/deployments/checkout/web/scale",
                 b'{"replicas": 1, "x": ' + b"[" * DEEP + b"]" * DEEP + b"}", "application/json", id="scale"),
    pytest.param("PATCH", f"{BASE}/resources/core/v1/configmaps/payments/deep", b"data: " + b"[" * DEEP,
                 "application/yaml", id="yaml-manifest"),
    pytest.param("PATCH", f"{BASE}/resources/core/v1/configmaps/payments/deep", b'{"data": ' + b"[" * DEEP,
                 "application/json", id="json-manifest"),
])  # fmt: skip
def test_e6_a_deeply_nested_body_is_a_400_not_a_server_error(
    dev: RecordedConsole, http: httpx.Client, method: str, path: str, body: bytes, content_type: str
) -> None:
    rid = request_id()
    response = http.request(method, path, content=body, headers={"Content-Type": content_type, "X-Request-Id": rid})
    _refused(dev, response, rid, 400, "E_INVALID_REQUEST")
