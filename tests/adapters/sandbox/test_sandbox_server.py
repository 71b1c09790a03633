"""The sandbox apiserver over real sockets (and in-process), seen by ordinary clients."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import websockets
import yaml
from kubernetes_asyncio import client, config, watch
from kubernetes_asyncio.stream import WsApiClient

from periscope_adapters.sandbox import (
    ADMIN_USER,
    BRIDGE_USER,
    ClusterSpec,
    SandboxCluster,
    SandboxFleet,
    Seeder,
    UserInfo,
)
from periscope_adapters.sandbox._manifests import binding, container, namespace, node, pod
from periscope_core.domain.errors import Forbidden, UpstreamTimeout
from periscope_core.domain.tier_rbac import periscope_rbac_objects
from periscope_core.ports.transport import KubeRequest
from periscope_core.protocols import V4, V5, ChannelCodec, CloseChannel, Exited, Stdin, Stdout


def _seed(seed: Seeder) -> None:
    seed.create(namespace("team"))
    seed.create(node("node-a", zone="us-east-1a", instance_type="m6i.large", ip="10.0.0.10"))
    seed.create(pod("team", "app", [container("app", "nginx:1.27.3")]))
    seed.create(binding("team-edit", "edit", group="team-devs", namespace="team"))
    # The bridge may assert only the groups this fence names, as on a real cluster.
    for obj in periscope_rbac_objects(extra_groups=["team-devs"], bridge_users=[BRIDGE_USER.name]):
        seed.create(obj)


TINY = ClusterSpec("tiny", _seed, environment="test", tags={"purpose": "tests"})


@asynccontextmanager
async def tiny(*, tls: bool = True) -> AsyncIterator[tuple[SandboxFleet, SandboxCluster]]:
    async with SandboxFleet.start([TINY], tls=tls, churn=False) as fleet:
        yield fleet, fleet.clusters["tiny"]


def http(
    fleet: SandboxFleet, cluster: SandboxCluster, token: str | None = None, **kw: Any
) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    verify: ssl.SSLContext | bool = kw.pop("verify", fleet.ca.client_ssl_context())
    return httpx.AsyncClient(base_url=cluster.url, headers=headers, verify=verify, timeout=5, **kw)


def ws_url(cluster: SandboxCluster, path: str) -> str:
    return cluster.url.replace("https://", "wss://").replace("http://", "ws://") + path


EXEC = "/api/v1/namespaces/team/pods/app/exec"
BASE64 = "base64.channel.k8s.io"


async def test_kubernetes_asyncio_lists_watches_and_execs(tmp_path: Path) -> None:
    async with tiny() as (fleet, _cluster):
        kubeconfig = fleet.write_kubeconfig(tmp_path / "kubeconfig")
        cfg = client.Configuration()
        await config.load_kube_config(config_file=str(kubeconfig), context="tiny", client_configuration=cfg)
        async with client.ApiClient(cfg) as api:
            core = client.CoreV1Api(api)
            pods = await core.list_namespaced_pod("team")
            assert [p.metadata.name for p in pods.items] == ["app"]
            assert pods.items[0].status.phase == "Running"
            w = watch.Watch()
            seen: list[tuple[str, str]] = []
            with anyio.fail_after(5):
                async for event in w.stream(core.list_namespaced_pod, "team", timeout_seconds=5):
                    seen.append((event["type"], event["object"].metadata.name))
                    if len(seen) == 1:
                        second = pod("team", "second", [container("c", "busybox")])
                        await core.create_namespaced_pod("team", second)
                    if ("ADDED", "second") in seen:
                        w.stop()
            assert seen[:2] == [("ADDED", "app"), ("ADDED", "second")]
        async with WsApiClient(configuration=cfg) as ws_api:
            out = await client.CoreV1Api(ws_api).connect_get_namespaced_pod_exec(
                "app", "team", command=["sh", "-c", "echo $HOSTNAME"], stdout=True, stderr=True, stdin=False,
                tty=False,
            )
        assert out == "app\n"


async def test_kubeconfig_and_registry_files(tmp_path: Path) -> None:
    async with tiny() as (fleet, cluster):
        kubeconfig = fleet.write_kubeconfig(tmp_path / "kc", client_certificates=True)
        registry = fleet.write_registry(tmp_path / "clusters.yaml", kubeconfig)
        assert kubeconfig.stat().st_mode & 0o777 == 0o600
        doc = yaml.safe_load(kubeconfig.read_text())
        assert doc["current-context"] == "tiny"
        assert {c["name"] for c in doc["contexts"]} == {"tiny", "tiny-periscope", "tiny-x509"}
        assert doc["clusters"][0]["cluster"]["server"] == cluster.url
        tokens = {u["name"]: u["user"].get("token") for u in doc["users"]}
        assert tokens == {"tiny-admin": cluster.admin_token, "tiny-periscope": cluster.bridge_token,
                          "tiny-x509": None}
        cfg = client.Configuration()
        await config.load_kube_config(config_file=str(kubeconfig), context="tiny-x509",
                                      client_configuration=cfg)
        async with client.ApiClient(cfg) as api:
            review = await client.AuthenticationV1Api(api).create_self_subject_review({
                "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        assert review.status.user_info.username == "sandbox-admin"
        assert "system:masters" in review.status.user_info.groups
        entries = yaml.safe_load(registry.read_text())["clusters"]
        assert entries == [{
            "name": "tiny", "backend": "kubeconfig", "kubeconfigPath": str(kubeconfig.resolve()),
            "kubeconfigContext": "tiny-periscope", "environment": "test", "tags": {"purpose": "tests"},
        }]


async def test_authentication_tokens_anonymous_and_client_certificates() -> None:
    async with tiny() as (fleet, cluster):
        async with http(fleet, cluster) as anonymous:
            assert (await anonymous.get("/version")).status_code == 200
            refused = await anonymous.get("/api/v1/namespaces/team/pods")
            assert refused.status_code == 401
            assert refused.json()["reason"] == "Unauthorized"
        async with http(fleet, cluster, "not-a-token") as bad:
            assert (await bad.get("/version")).status_code == 401
        async with http(fleet, cluster, cluster.bridge_token) as bridge:
            assert (await bridge.get("/api/v1/namespaces/team/pods")).status_code == 200
            assert (await bridge.delete("/api/v1/namespaces/team/pods/app")).status_code == 403
        cert = fleet.ca.client("alice", ["team-devs"])
        async with http(fleet, cluster, verify=fleet.ca.client_ssl_context(cert)) as alice:
            review = await alice.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", json={
                "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
            info = review.json()["status"]["userInfo"]
            assert info["username"] == "alice"
            assert info["groups"] == ["team-devs", "system:authenticated"]
            assert (await alice.get("/api/v1/namespaces/team/pods")).status_code == 200


async def test_plain_http_listener() -> None:
    async with tiny(tls=False) as (fleet, cluster):
        assert cluster.url.startswith("http://")
        async with http(fleet, cluster, cluster.admin_token, verify=False) as admin:
            assert (await admin.get("/api/v1/namespaces/team/pods/app")).json()["metadata"]["name"] == "app"


async def test_a_disconnected_watch_is_closed_on_the_server() -> None:
    async with tiny() as (fleet, cluster):
        watch_pods = ("GET", "/api/v1/namespaces/team/pods")
        async with http(fleet, cluster, cluster.admin_token) as admin, admin.stream(
            *watch_pods, params={"watch": "true"}
        ) as response:
            assert response.headers["content-type"].startswith("application/json")
            first = await response.aiter_lines().__anext__()
            assert json.loads(first)["type"] == "ADDED"
            assert sum(cluster.api.watch_stats().active.values()) == 1
        for _ in range(150):
            if not sum(cluster.api.watch_stats().active.values()):
                break
            await anyio.sleep(0.02)
        else:
            pytest.fail("the server kept serving a watch whose client had gone")


async def test_websocket_exec_prefers_v5_and_half_closes_stdin() -> None:
    async with tiny() as (fleet, cluster):
        codec = ChannelCodec(V5, role="client")
        url = ws_url(cluster, f"{EXEC}?command=cat&stdin=true&stdout=true&stderr=true")
        admin = {"Authorization": f"Bearer {cluster.admin_token}"}
        ctx = fleet.ca.client_ssl_context()
        async with websockets.connect(url, subprotocols=[V4, V5], ssl=ctx, additional_headers=admin) as ws:
            assert ws.subprotocol == V5
            await ws.send(codec.send(Stdin(b"ping\n")))
            await ws.send(codec.send(CloseChannel(0)))
            events = [codec.receive_message(m) async for m in ws]  # type: ignore[arg-type]
        assert b"".join(e.data for e in events if isinstance(e, Stdout)) == b"ping\n"
        assert events[-1] == Exited(0)


async def test_websocket_exec_refusals() -> None:
    async with tiny() as (fleet, cluster):
        ctx = fleet.ca.client_ssl_context()
        url = ws_url(cluster, f"{EXEC}?command=true&stdout=true")
        admin = {"Authorization": f"Bearer {cluster.admin_token}"}
        with pytest.raises(websockets.InvalidStatus) as unsupported:
            await websockets.connect(url, subprotocols=[BASE64], ssl=ctx, additional_headers=admin)
        assert unsupported.value.response.status_code == 400
        bridge = {"Authorization": f"Bearer {cluster.bridge_token}"}
        with pytest.raises(websockets.InvalidStatus) as denied:
            await websockets.connect(url, subprotocols=[V5], ssl=ctx, additional_headers=bridge)
        assert denied.value.response.status_code == 403
        impersonating = {**bridge, "Impersonate-User": "alice", "Impersonate-Group": "team-devs"}
        as_alice = websockets.connect(url, subprotocols=[V5], ssl=ctx, additional_headers=impersonating)
        async with as_alice as ws:
            codec = ChannelCodec(V5, role="client")
            assert [codec.receive_message(m) async for m in ws][-1] == Exited(0)  # type: ignore[arg-type]
        unfenced = {**bridge, "Impersonate-User": "alice", "Impersonate-Group": "system:masters"}
        with pytest.raises(websockets.InvalidStatus) as fenced:
            await websockets.connect(url, subprotocols=[V5], ssl=ctx, additional_headers=unfenced)
        assert fenced.value.response.status_code == 403


async def test_in_process_transport_requests_streams_and_exec() -> None:
    async with tiny() as (_fleet, cluster):
        transport = cluster.transport()
        async with await transport.send(KubeRequest("GET", "/api/v1/namespaces/team/pods")) as response:
            assert response.status == 200
            assert response.headers["content-type"] == "application/json"
            assert [p["metadata"]["name"] for p in json.loads(await response.aread())["items"]] == ["app"]
        watch_request = KubeRequest("GET", "/api/v1/namespaces/team/pods", query=(("watch", "true"),))
        async with await transport.send(watch_request) as stream:
            first = await stream.aiter_bytes().__anext__()
            assert json.loads(first.splitlines()[0])["object"]["metadata"]["name"] == "app"
        assert not sum(cluster.api.watch_stats().active.values())
        query = (("command", "echo"), ("command", "in process"), ("stdout", "true"))
        admin = cluster.transport(ADMIN_USER)
        socket = await admin.websocket(KubeRequest("GET", EXEC, query=query), [V5, V4])
        codec = ChannelCodec(socket.subprotocol, role="client")
        events = []
        with anyio.fail_after(5):
            while (message := await socket.receive()) is not None:
                events.append(codec.receive_message(message))
        await socket.aclose()
        assert b"".join(e.data for e in events if isinstance(e, Stdout)) == b"in process\n"
        assert events[-1] == Exited(0)
        await transport.aclose()
        await admin.aclose()


async def test_in_process_transport_errors() -> None:
    async with tiny() as (_fleet, cluster):
        nobody = cluster.transport(UserInfo(name="nobody", groups=("system:authenticated",)))
        query = (("command", "true"), ("stdout", "true"))
        with pytest.raises(Forbidden):
            await nobody.websocket(KubeRequest("GET", EXEC, query=query), [V5])
        cluster.api.faults.delay("/api/v1/namespaces/team/pods", 5)
        with pytest.raises(UpstreamTimeout):
            await cluster.transport().send(KubeRequest("GET", "/api/v1/namespaces/team/pods", timeout=0.1))
        cluster.api.faults.clear()
        interactive = await cluster.transport(ADMIN_USER).websocket(
            KubeRequest("GET", EXEC, query=(("command", "sh"), ("stdin", "true"), ("stdout", "true"))), [V5])
        codec = ChannelCodec(V5, role="client")
        await interactive.send(codec.send(Stdin(b"echo still here\n")))
        with anyio.fail_after(5):
            while (message := await interactive.receive()) is not None:
                if codec.receive_message(message) == Stdout(b"still here\n"):
                    break
        with anyio.fail_after(1):
            await interactive.aclose()  # the shell still waits for input: closing must cancel it
        assert await interactive.receive() is None


async def test_closing_the_listener_ends_open_streams_at_once() -> None:
    follow_log = ("GET", "/api/v1/namespaces/team/pods/app/log")
    async with tiny() as (fleet, cluster), http(fleet, cluster, cluster.admin_token) as admin, admin.stream(
        *follow_log, params={"follow": "true"}
    ) as follow:
        assert follow.status_code == 200
        with anyio.fail_after(0.5):
            await cluster.server.aclose()
        with anyio.fail_after(2):
            async for _ in follow.aiter_bytes():
                pass  # the backlog, then the end of the stream
