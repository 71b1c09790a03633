"""Live lists over real HTTP: the app on uvicorn, httpx streaming, the sandbox fleet, kubectl.

The console here streams every kind but the networking group, caps each user at four
streams and pings idle streams every 0.3 s, so the cap and the pings show quickly.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from auth_peers import Idp, run_idp
from conftest import Console
from live_peers import (
    CLUSTER,
    LiveConsole,
    eventually,
    grant_tiers,
    kubectl_available,
    live_console,
    oidc_console,
    signed_in,
    sse,
)

from periscope_core.domain.watch_streams import parse_watch_streams

pytestmark = pytest.mark.skipif(not kubectl_available(), reason="kubectl is not installed at /usr/bin/kubectl")

LIMIT = 4
BASE = f"/api/clusters/{CLUSTER}"
USERS = {
    "alice": {"email": "alice@example.com", "groups": ["periscope-users", "sre"]},
    "bob": {"email": "bob@example.com", "groups": ["periscope-users", "devs"]},
}
AUTHZ = {"mode": "tier", "allowedGroups": ["periscope-users"], "groupTiers": {"sre": "admin", "devs": "read"}}


@pytest.fixture(scope="module")
def live(console: Console, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    streams = parse_watch_streams("core,workloads,storage,cluster,configmaps,customresources")
    with live_console(console, tmp_path_factory.mktemp("live-watch"), watch_streams=streams,
                      watch_per_user_limit=LIMIT, stream_ping_seconds=0.3) as running:  # fmt: skip
        yield running


@pytest.fixture
async def client(live: LiveConsole) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as http:
        # Streams of earlier tests end when their connection closes; the cap counts the rest.
        await eventually(lambda: _no_streams(http))
        yield http


async def _no_streams(http: httpx.AsyncClient) -> bool:
    return not (await http.get("/debug/streams")).json()


async def _namespace(live: LiveConsole, name: str) -> str:
    await live.kubectl("create", "namespace", name)
    return name


def _bridge_watches(console: Console, namespace: str, resource: str) -> int:
    """Watches the sandbox saw opened in ``namespace`` (Periscope's bridge identity, dev mode)."""
    stats = console.fleet.clusters[CLUSTER].api.watch_stats()
    return sum(n for key, n in stats.opened.items() if key.namespace == namespace and key.resource == resource)


async def test_a_kubectl_created_pod_reaches_two_subscribers_within_a_second_over_one_watch(
    live: LiveConsole, console: Console, client: httpx.AsyncClient
) -> None:
    ns = await _namespace(live, "live-added")
    path = f"{BASE}/pods/watch?namespace={ns}"
    async with sse(client, path) as first, sse(client, path) as second:
        for reader in (first, second):
            assert await reader.wait_event("snapshot") == 0
            assert reader.data(0) == {"resourceVersion": reader.events[0].id, "items": []}
        await live.kubectl("run", "from-kubectl", "-n", ns, "--image=nginx:1.27")
        created = anyio.current_time()
        for reader in (first, second):
            added = await reader.wait_event("added", timeout=1.0)
            assert reader.data(added)["object"]["name"] == "from-kubectl"
            assert reader.arrived[added] - created < 1.0
        assert _bridge_watches(console, ns, "pods") == 1
        streams = (await client.get("/debug/streams")).json()
        assert [(s["kind"], s["namespace"], s["sharedWith"]) for s in streams] == [("pods", ns, 2)] * 2


async def test_the_stream_carries_the_list_endpoints_rows(live: LiveConsole, client: httpx.AsyncClient) -> None:
    ns = await _namespace(live, "live-rows")
    await live.kubectl("create", "configmap", "before", "-n", ns, "--from-literal=a=1")
    async with sse(client, f"{BASE}/configmaps/watch?namespace={ns}") as reader:
        await reader.wait_event("snapshot")
        listed = (await client.get(f"{BASE}/configmaps", params={"namespace": ns})).json()
        assert reader.data(0)["items"] == listed["items"]
        await live.kubectl("create", "configmap", "after", "-n", ns, "--from-literal=b=2", "--from-literal=c=3")
        added = reader.data(await reader.wait_event("added"))["object"]
        listed = (await client.get(f"{BASE}/configmaps", params={"namespace": ns})).json()
        assert added == next(row for row in listed["items"] if row["name"] == "after")


async def test_last_event_id_resumes_without_a_snapshot(live: LiveConsole, client: httpx.AsyncClient) -> None:
    ns = await _namespace(live, "live-resume")
    path = f"{BASE}/configmaps/watch?namespace={ns}"
    async with sse(client, path) as reader:
        await reader.wait_event("snapshot")
        await live.kubectl("create", "configmap", "seen", "-n", ns)
        last_id = reader.events[await reader.wait_event("added")].id
    await live.kubectl("create", "configmap", "missed", "-n", ns)
    async with sse(client, path, headers={"Last-Event-ID": last_id}) as resumed:
        await resumed.wait_event("added")
        assert resumed.names()[0] == "added"
        assert resumed.data(0)["object"]["name"] == "missed"


async def test_the_per_user_cap_is_a_429_with_a_json_body(client: httpx.AsyncClient) -> None:
    kinds = ["pods", "events", "nodes", "namespaces"]
    async with sse(client, f"{BASE}/{kinds[0]}/watch") as a, sse(client, f"{BASE}/{kinds[1]}/watch") as b, \
            sse(client, f"{BASE}/{kinds[2]}/watch") as c, sse(client, f"{BASE}/{kinds[3]}/watch") as d:
        for reader in (a, b, c, d):
            await reader.wait_event("snapshot")
        refused = await client.get(f"{BASE}/deployments/watch")
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/json")
        body = refused.json()
        assert (body["error"], body["limit"]) == ("E_TOO_MANY_STREAMS", LIMIT)
    # Closing a stream gives its slot back.
    await eventually(lambda: _no_streams(client))
    async with sse(client, f"{BASE}/deployments/watch") as again:
        await again.wait_event("snapshot")


async def test_refused_streams_are_json_errors_and_browse_routes_still_match(client: httpx.AsyncClient) -> None:
    def error(response: httpx.Response, status: int) -> str:
        assert response.status_code == status, response.text
        code: str = response.json()["error"]
        return code

    assert error(await client.get(f"{BASE}/services/watch"), 404) == "E_STREAM_DISABLED"
    assert error(await client.get(f"{BASE}/secrets/watch"), 404) == "E_STREAM_DISABLED"
    assert error(await client.get(f"{BASE}/bananas/watch"), 404) == "E_UNKNOWN_KIND"
    assert error(await client.get("/api/clusters/nowhere/pods/watch"), 404) == "E_CLUSTER_NOT_FOUND"
    assert error(await client.get(f"{BASE}/customresources/example.com/v1/widgets/other"), 404) == "E_NOT_FOUND"
    # A namespace called "watch" is still browsed, not streamed (the apiserver's 404 for the pod).
    assert error(await client.get(f"{BASE}/pods/watch/web-0"), 404) == "E_NOT_FOUND"
    assert error(await client.get(f"{BASE}/pods/watch/web-0/logs"), 404) == "E_NOT_FOUND"
    assert (await client.get(f"{BASE}/namespaces/default")).json()["metadata"]["name"] == "default"


async def test_custom_resources_stream_with_their_printer_columns(client: httpx.AsyncClient) -> None:
    crds = (await client.get(f"{BASE}/crds")).json()["crds"]
    assert crds, "the demo fleet has custom resources"
    crd = crds[0]
    path = f"{BASE}/customresources/{crd['group']}/{crd['servedVersion']}/{crd['plural']}"
    listed = (await client.get(path)).json()
    async with sse(client, f"{path}/watch") as reader:
        await reader.wait_event("snapshot")
        assert reader.data(0)["items"] == listed["items"]


async def test_sse_headers_and_ping_comments(client: httpx.AsyncClient) -> None:
    async with sse(client, f"{BASE}/nodes/watch") as reader:
        headers = reader.response.headers
        assert headers["content-type"].startswith("text/event-stream")
        assert headers["cache-control"] == "no-cache, no-transform"
        assert headers["x-accel-buffering"] == "no"
        await reader.wait_for(lambda r: b"\n: ping\n\n" in r.raw, timeout=2.0)


async def test_shutdown_sends_server_shutdown_and_does_not_wait_for_the_streams(
    console: Console, tmp_path: Path
) -> None:
    with live_console(console, tmp_path, stream_ping_seconds=60.0) as stopping:
        async with httpx.AsyncClient(base_url=stopping.url, timeout=10) as http:
            pods = (await http.get(f"{BASE}/pods")).json()["items"]
            pod = next(p for p in pods if p["status"] == "Running")
            async with sse(http, f"{BASE}/pods/watch") as watch, sse(http, f"{BASE}/nodes/watch") as nodes, \
                    sse(http, f"{BASE}/pods/{pod['namespace']}/{pod['name']}/logs") as logs:
                for reader in (watch, nodes, logs):
                    await reader.wait_for(lambda r: bool(r.events))
                started = time.monotonic()
                await anyio.to_thread.run_sync(stopping.stop)
                # Well inside uvicorn's 10 s graceful timeout: the streams ended first.
                assert time.monotonic() - started < 3.0
                for reader in (watch, nodes, logs):
                    await reader.wait_for(lambda r: r.finished)
                    assert reader.names()[-1] == "server_shutdown"
                    assert reader.events[-1].retry is not None


@pytest.fixture(scope="module")
def idp() -> Iterator[Idp]:
    with run_idp(USERS) as running:
        yield running


async def test_debug_streams_shows_an_admin_every_stream_and_others_their_own(
    console: Console, idp: Idp, tmp_path: Path
) -> None:
    with oidc_console(console, tmp_path, idp, AUTHZ) as oidc:
        await grant_tiers(oidc)
        alice, bob = await signed_in(oidc, "alice"), await signed_in(oidc, "bob")
        async with alice, bob, sse(alice, f"{BASE}/pods/watch") as mine, sse(bob, f"{BASE}/pods/watch") as theirs:
            await mine.wait_event("snapshot")
            await theirs.wait_event("snapshot")
            seen_by_admin = (await alice.get("/debug/streams")).json()
            assert sorted((s["actor"], s["sharedWith"]) for s in seen_by_admin) == [("alice", 1), ("bob", 1)]
            assert [s["actor"] for s in (await bob.get("/debug/streams")).json()] == ["bob"]
        async with httpx.AsyncClient(base_url=oidc.url, timeout=10) as anonymous:
            refused = await anonymous.get("/debug/streams")
            assert (refused.status_code, refused.json()["error"]) == (401, "E_UNAUTHENTICATED")


async def test_a_stream_ends_with_auth_expired_when_the_session_does(
    console: Console, idp: Idp, tmp_path: Path
) -> None:
    with oidc_console(console, tmp_path, idp, AUTHZ, session={"absoluteTimeout": "2s"}) as oidc:
        await grant_tiers(oidc)
        async with await signed_in(oidc, "bob") as bob, sse(bob, f"{BASE}/nodes/watch") as reader:
            await reader.wait_event("snapshot")
            await reader.wait_event("auth_expired", timeout=4.0)
            await reader.wait_for(lambda r: r.finished)
