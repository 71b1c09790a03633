"""E4 and E6: a request head trickled in is cut off; bodies too large or nested too deeply are refused as the
client's fault, before any apiserver call.

Sent to the dev-mode console with recorded apiserver calls; Litestar's default body limit
(10 MiB) and the manifest limit (256 KiB, tests/http/test_editing_api.py) bound the size,
and the parsers' recursion bounds the nesting.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from security_peers import RecordedConsole, recorded_console, request_id

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


@pytest.fixture(scope="module")
def impatient(console: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedConsole]:
    """A console giving request heads half a second (the default is 10 s)."""
    with recorded_console(console, tmp_path_factory.mktemp("security-slowloris"), header_timeout=0.5) as running:
        yield running


def _connect(console: RecordedConsole) -> socket.socket:
    parts = urlsplit(console.url)
    return socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=5)


def test_e4_a_head_sent_a_byte_at_a_time_is_cut_off(impatient: RecordedConsole) -> None:
    with _connect(impatient) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: console\r\n")
        closed = False
        for byte in b"X-Slow: " + b"a" * 40:  # 0.1 s a byte: the head would take 4 s
            try:
                conn.sendall(bytes([byte]))
            except OSError:  # the server closed the connection under us
                closed = True
                break
            time.sleep(0.1)
        if not closed:
            conn.settimeout(2)
            closed = conn.recv(1024) == b""
        assert closed, "the connection outlived the header deadline"


def test_e4_a_prompt_request_and_a_kept_alive_one_are_served(impatient: RecordedConsole) -> None:
    parts = urlsplit(impatient.url)
    conn = HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        for _ in range(2):
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, b'{"status":"ok"}')
            time.sleep(0.7)  # idle between requests longer than the head deadline: only keep-alive applies
        assert conn.sock is not None  # the same connection served both
    finally:
        conn.close()
