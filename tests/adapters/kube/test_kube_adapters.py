"""Adapter-only behaviour of the kubernetes_asyncio transport and backends.

A small aiohttp server stands in for the apiserver where the test needs control the
sandbox does not offer (connection identity, a head that never comes, a half-sent body).
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer
from kubernetes_asyncio.client import Configuration

from periscope_adapters.kube import InClusterBackend, KubeAsyncioTransport, KubeconfigBackend, RotatingToken
from periscope_core.domain.clusters import ClusterEntry
from periscope_core.domain.errors import ClusterUnreachable, ConfigError, Forbidden, UpstreamTimeout
from periscope_core.ports.backends import BackendContext
from periscope_core.ports.transport import KubeRequest
from periscope_core.protocols.k8s_channel import SUBPROTOCOLS, V5
from periscope_core.services.backends import load_backends

_FORBIDDEN = {
    "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
    "message": 'pods "p" is forbidden: User "eve" cannot create resource "pods/exec"',
}


class _Upstream:
    """Routes of the stand-in apiserver, plus what they observed."""

    def __init__(self) -> None:
        self.release_body = asyncio.Event()

    async def echo(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        return web.json_response({
            "authorization": request.headers.get("Authorization", ""),
            "groups": request.headers.getall("Impersonate-Group", []),
            "selector": request.query.get("labelSelector", ""),
            "peer_port": peer[1] if peer else None,
        })

    async def slow_head(self, request: web.Request) -> web.Response:
        await asyncio.sleep(10)
        return web.Response(text="late")

    async def slow_body(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"first\n")
        await self.release_body.wait()
        await response.write(b"second\n")
        await response.write_eof()
        return response

    async def exec(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Impersonate-User") == "eve":
            return web.json_response(_FORBIDDEN, status=403)
        ws = web.WebSocketResponse(protocols=SUBPROTOCOLS)
        await ws.prepare(request)
        async for message in ws:
            await ws.send_bytes(message.data)
        return ws


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[TestServer, _Upstream]]:
    routes = _Upstream()
    app = web.Application()
    app.router.add_get("/echo", routes.echo)
    app.router.add_get("/slow-head", routes.slow_head)
    app.router.add_get("/slow-body", routes.slow_body)
    app.router.add_get("/exec", routes.exec)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, routes
    routes.release_body.set()
    await server.close()


@pytest.fixture
async def transport(upstream: tuple[TestServer, _Upstream]) -> AsyncIterator[KubeAsyncioTransport]:
    server, _ = upstream
    config = Configuration(host=str(server.make_url("")).rstrip("/"), api_key={"BearerToken": "Bearer s3cret"})
    transport = KubeAsyncioTransport(config)
    yield transport
    await transport.aclose()


async def _json(transport: KubeAsyncioTransport, request: KubeRequest) -> dict[str, object]:
    async with await transport.send(request) as response:
        body: dict[str, object] = json.loads(await response.aread())
        return body


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- transport -----------------------------------------------------------------------


async def test_requests_share_one_pooled_connection(transport: KubeAsyncioTransport) -> None:
    first = await _json(transport, KubeRequest("GET", "/echo"))
    second = await _json(transport, KubeRequest("GET", "/echo"))
    assert first["peer_port"] == second["peer_port"]  # the same TCP connection, reused


async def test_headers_and_query_are_forwarded_verbatim(transport: KubeAsyncioTransport) -> None:
    request = KubeRequest(
        "GET", "/echo",
        query=(("labelSelector", "tier in (a, b)"),),
        headers=(("Impersonate-User", "alice"), ("Impersonate-Group", "one"), ("Impersonate-Group", "two")),
    )
    seen = await _json(transport, request)
    assert seen["groups"] == ["one", "two"]
    assert seen["authorization"] == "Bearer s3cret"
    assert seen["selector"] == "tier in (a, b)"


async def test_body_streams_before_it_ends(
    transport: KubeAsyncioTransport, upstream: tuple[TestServer, _Upstream]
) -> None:
    _, routes = upstream
    async with await transport.send(KubeRequest("GET", "/slow-body", timeout=0.2)) as response:
        chunks = response.aiter_bytes()
        async with asyncio.timeout(2):
            assert await anext(chunks) == b"first\n"
        # The head arrived in time; the rest of the body is not bound by that timeout.
        await asyncio.sleep(0.3)
        routes.release_body.set()
        rest = b"".join([chunk async for chunk in chunks])
    assert rest == b"second\n"


async def test_late_response_head_is_upstream_timeout(transport: KubeAsyncioTransport) -> None:
    with pytest.raises(UpstreamTimeout) as timed_out:
        await transport.send(KubeRequest("GET", "/slow-head", timeout=0.2))
    assert isinstance(timed_out.value.__cause__, TimeoutError)


async def test_closed_port_is_cluster_unreachable() -> None:
    transport = KubeAsyncioTransport(Configuration(host=f"http://127.0.0.1:{_closed_port()}"))
    try:
        with pytest.raises(ClusterUnreachable) as unreachable:
            await transport.send(KubeRequest("GET", "/version"))
        assert isinstance(unreachable.value.__cause__, aiohttp.ClientError)
    finally:
        await transport.aclose()


async def test_websocket_offers_v5_first(transport: KubeAsyncioTransport) -> None:
    socket_ = await transport.websocket(KubeRequest("GET", "/exec"), SUBPROTOCOLS)
    try:
        assert socket_.subprotocol == V5
        await socket_.send(b"\x00ping")
        assert await socket_.receive() == b"\x00ping"
    finally:
        await socket_.aclose()


async def test_refused_websocket_raises_the_apiserver_status(transport: KubeAsyncioTransport) -> None:
    request = KubeRequest("GET", "/exec", headers=(("Impersonate-User", "eve"),))
    with pytest.raises(Forbidden) as denied:
        await transport.websocket(request, SUBPROTOCOLS)
    assert denied.value.status.message == _FORBIDDEN["message"]


# -- kubeconfig backend --------------------------------------------------------------


def _kubeconfig(server: str, user: dict[str, object], *, current: str = "main") -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": current,
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "main", "context": {"cluster": "c", "user": "u"}}],
    }


def _entry(path: str, context: str = "") -> ClusterEntry:
    return ClusterEntry(name="lab", backend="kubeconfig", kubeconfigPath=path, kubeconfigContext=context)


async def test_kubeconfig_path_is_required() -> None:
    problems = KubeconfigBackend().validate(ClusterEntry(name="lab", backend="kubeconfig"))
    assert [field for field, _ in problems] == ["kubeconfigPath"]


async def test_relative_kubeconfig_path_resolves_against_the_registry(
    tmp_path: Path, upstream: tuple[TestServer, _Upstream]
) -> None:
    server, _ = upstream
    (tmp_path / "conf").mkdir()
    document = _kubeconfig(str(server.make_url("")).rstrip("/"), {"token": "from-file"})
    (tmp_path / "conf" / "kc.yaml").write_text(yaml.safe_dump(document))
    transport = await KubeconfigBackend().connect(_entry("conf/kc.yaml"), BackendContext(registry_dir=str(tmp_path)))
    try:
        assert isinstance(transport, KubeAsyncioTransport)
        assert (await _json(transport, KubeRequest("GET", "/echo")))["authorization"] == "Bearer from-file"
    finally:
        await transport.aclose()


async def test_missing_kubeconfig_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        await KubeconfigBackend().connect(_entry("nowhere.yaml"), BackendContext(registry_dir=str(tmp_path)))
    (problem,) = error.value.problems
    assert (problem.file, problem.entry, problem.field) == (str(tmp_path / "nowhere.yaml"), "lab", "kubeconfigPath")


async def test_unknown_context_names_file_and_context(tmp_path: Path) -> None:
    path = tmp_path / "kc.yaml"
    path.write_text(yaml.safe_dump(_kubeconfig("https://127.0.0.1:1", {"token": "t"})))
    with pytest.raises(ConfigError) as error:
        await KubeconfigBackend().connect(_entry(str(path), "staging"), BackendContext())
    (problem,) = error.value.problems
    assert (problem.file, problem.field) == (str(path), "kubeconfigContext")
    assert "'staging' not found (available: main)" in problem.message


async def test_malformed_kubeconfig_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "kc.yaml"
    path.write_text("clusters: [unclosed\n")
    with pytest.raises(ConfigError, match="cannot read the kubeconfig"):
        await KubeconfigBackend().connect(_entry(str(path)), BackendContext())


async def test_failing_exec_plugin_is_unreachable(tmp_path: Path) -> None:
    plugin = {"apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable,
              "args": ["-c", "import sys; sys.exit('no credentials today')"]}
    path = tmp_path / "kc.yaml"
    path.write_text(yaml.safe_dump(_kubeconfig("https://127.0.0.1:1", {"exec": plugin})))
    with pytest.raises(ClusterUnreachable, match="no credentials today"):
        await KubeconfigBackend().connect(_entry(str(path)), BackendContext())


# -- in-cluster backend --------------------------------------------------------------


async def test_in_cluster_outside_a_pod_is_a_config_error(tmp_path: Path) -> None:
    backend = InClusterBackend(token_path=str(tmp_path / "token"), ca_path=str(tmp_path / "ca"), environ={})
    with pytest.raises(ConfigError, match="KUBERNETES_SERVICE_HOST: not set"):
        await backend.connect(ClusterEntry(name="self", backend="in-cluster"), BackendContext())


async def test_in_cluster_without_token_names_the_file(tmp_path: Path) -> None:
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    backend = InClusterBackend(token_path=str(tmp_path / "token"), ca_path=str(tmp_path / "ca"), environ=env)
    with pytest.raises(ConfigError) as error:
        await backend.connect(ClusterEntry(name="self", backend="in-cluster"), BackendContext())
    assert error.value.problems[0].file == str(tmp_path / "token")


async def test_service_account_token_is_rechecked_at_most_every_interval(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("first\n")
    config = Configuration()
    throttled, eager = RotatingToken(str(path), recheck_seconds=3600), RotatingToken(str(path), recheck_seconds=0)
    throttled.refresh(config)  # the first check happens at once
    path.write_text("second\n")
    eager.refresh(config)
    assert config.api_key["BearerToken"] == "Bearer second"
    throttled.refresh(config)
    assert config.api_key["BearerToken"] == "Bearer first"


async def test_token_missing_mid_rotation_keeps_the_last_one(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("current")
    config = Configuration()
    token = RotatingToken(str(path), recheck_seconds=0)
    path.unlink()
    token.refresh(config)
    assert config.api_key["BearerToken"] == "Bearer current"


def test_entry_points_provide_both_backends() -> None:
    backends = load_backends()
    assert isinstance(backends["kubeconfig"], KubeconfigBackend)
    assert isinstance(backends["in-cluster"], InClusterBackend)
    assert (backends["kubeconfig"].name, backends["in-cluster"].name) == ("kubeconfig", "in-cluster")
