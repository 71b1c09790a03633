"""Signing out ends the person's open streams: a live list and a log follow both get ``auth_expired``.

A console signing people in at a real OpenID provider, over the session's sandbox fleet;
it pings idle streams every 0.1 s and re-checks the session behind a stream every 0.3 s,
so the end shows quickly without waiting for any expiry.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from auth_peers import CSRF_COOKIE, run_idp
from conftest import Console
from live_peers import CLUSTER, LiveConsole, grant_tiers, kubectl_available, oidc_console, signed_in, sse

pytestmark = [
    pytest.mark.skipif(not kubectl_available(), reason="kubectl is not installed at /usr/bin/kubectl"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # the provider's authlib, on its thread
]

BASE = f"/api/clusters/{CLUSTER}"
USERS = {"bob": {"email": "bob@example.com", "groups": ["periscope-users", "devs"]}}
AUTHZ = {"mode": "tier", "allowedGroups": ["periscope-users"], "groupTiers": {"devs": "read"}}


@pytest.fixture(scope="module")
def oidc(console: Console, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    workdir = tmp_path_factory.mktemp("sign-out")
    with (
        run_idp(USERS) as idp,
        oidc_console(console, workdir, idp, AUTHZ, stream_ping_seconds=0.1, stream_recheck_seconds=0.3) as running,
    ):
        yield running


async def _sign_out(client: httpx.AsyncClient) -> None:
    origin = str(client.base_url).rstrip("/")
    response = await client.post(
        "/api/auth/logout", headers={"Origin": origin, "X-CSRF-Token": client.cookies[CSRF_COOKIE]}
    )
    assert response.status_code == 204, response.text


async def _running_pod(client: httpx.AsyncClient) -> str:
    pods = (await client.get(f"{BASE}/pods")).json()["items"]
    pod = next(p for p in pods if p["status"] == "Running")
    return f"{pod['namespace']}/{pod['name']}"


async def test_a_live_list_ends_with_auth_expired_after_sign_out(oidc: LiveConsole) -> None:
    await grant_tiers(oidc)
    async with await signed_in(oidc, "bob") as bob, sse(bob, f"{BASE}/nodes/watch") as reader:
        await reader.wait_event("snapshot")
        await _sign_out(bob)
        await reader.wait_event("auth_expired", timeout=3.0)
        await reader.wait_for(lambda r: r.finished)
    async with httpx.AsyncClient(base_url=oidc.url) as anonymous:
        # The expired stream left the hub, and nothing else of bob's is open.
        assert oidc.services.watch_hub.streams(actor="bob") == []
        assert (await anonymous.get("/api/auth/whoami")).status_code == 401


async def test_a_log_follow_ends_with_auth_expired_after_sign_out(oidc: LiveConsole) -> None:
    await grant_tiers(oidc)
    async with await signed_in(oidc, "bob") as bob:
        pod = await _running_pod(bob)
        async with sse(bob, f"{BASE}/pods/{pod}/logs", params={"follow": "true", "tailLines": "1"}) as reader:
            await reader.wait_for(lambda r: bool(r.raw))  # open: a line or a ping has arrived
            await _sign_out(bob)
            await reader.wait_event("auth_expired", timeout=3.0)
            await reader.wait_for(lambda r: r.finished)
        assert "done" not in reader.names()
