"""I1, I2, I7: the cluster only ever hears who the person is from the console, never from the client.

Two consoles with recorded apiserver calls: the dev-mode one (shared mode, every call as
the bridge identity) and one in tier mode signing people in at a loopback OpenID
provider. Clients smuggle ``Impersonate-*`` headers in mixed case and duplicated on REST
calls, a live list (SSE) and the exec WebSocket; the record shows what each call the
console made in answer carried, and the sandbox apiserver's own verdicts show as whom it
ran.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from auth_peers import COOKIE, Browser, Idp, run_idp
from live_peers import sse
from security_peers import RecordedConsole, Upstream, recorded_console, request_id
from websockets.asyncio.client import connect

from periscope_core.domain.tier_rbac import tier_group

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's authlib, on its thread

USERS = {
    "alice": {"email": "alice@example.com", "groups": ["periscope-users", "sre"]},
    "bob": {"email": "bob@example.com", "groups": ["periscope-users", "devs"]},
    "dave": {"email": "dave@example.com", "groups": ["periscope-users"]},
}
AUTHZ = {"mode": "tier", "allowedGroups": ["periscope-users"], "groupTiers": {"sre": "admin", "devs": "read"}}
CLUSTER, NS = "prod", "payments"
BASE = f"/api/clusters/{CLUSTER}"
SMUGGLED = [
    ("Impersonate-User", "sandbox-admin"),
    ("impersonate-user", "system:admin"),
    ("IMPERSONATE-GROUP", "system:masters"),
    ("Impersonate-Group", "system:masters"),
    ("impersonate-uid", "0"),
    ("Impersonate-Extra-Scopes", "cluster-admin"),
    ("iMpErSoNaTe-ExTrA-reason", "break-glass"),
]
SMUGGLED_VALUES = {value for _, value in SMUGGLED}


def _as(user: str, tier: str) -> list[tuple[str, str]]:
    return [("impersonate-user", user), ("impersonate-group", tier_group(tier))]


BOB = _as("bob", "read")
ALICE = _as("alice", "admin")
READ_TIER_STREAM = _as(tier_group("read"), "read")
"""Tier mode shares one upstream watch per tier, made as the tier itself."""


@pytest.fixture(scope="module")
def idp() -> Iterator[Idp]:
    with run_idp(USERS) as running:
        yield running


@pytest.fixture(scope="module")
def tier(console: Any, idp: Idp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedConsole]:
    with recorded_console(console, tmp_path_factory.mktemp("tier-impersonation"), idp=idp,
                          authorization=AUTHZ) as running:  # fmt: skip
        yield running


@pytest.fixture(scope="module")
def cookies(tier: RecordedConsole) -> dict[str, httpx.Cookies]:
    """Each person's session (and CSRF) cookies on the tier console."""
    jar: dict[str, httpx.Cookies] = {}
    for sub in USERS:
        browser = Browser(tier.url)
        assert browser.sign_in(sub).status_code == 302
        jar[sub] = httpx.Cookies(browser.http.cookies)
        browser.close()
    return jar


def _only_server_built(calls: list[Upstream], expected: list[tuple[str, str]]) -> None:
    assert calls, "the request reached no cluster, so it proves nothing"
    for call in calls:
        assert call.impersonation == expected, (call.method, call.path, call.impersonation)
        assert SMUGGLED_VALUES.isdisjoint(value for _, value in call.headers), call


def test_i1_smuggled_impersonation_on_rest_never_reaches_the_cluster_in_shared_mode(dev: RecordedConsole) -> None:
    rid = request_id()
    with httpx.Client(base_url=dev.url, timeout=20) as client:
        response = client.get(f"{BASE}/pods", params={"namespace": NS}, headers=[("X-Request-Id", rid), *SMUGGLED])
    assert response.status_code == 200, response.text
    _only_server_built(dev.calls(rid), [])


def test_i1_smuggled_impersonation_on_rest_never_reaches_the_cluster_in_tier_mode(
    tier: RecordedConsole, cookies: dict[str, httpx.Cookies]
) -> None:
    with httpx.Client(base_url=tier.url, timeout=20, cookies=cookies["bob"]) as bob:
        rid = request_id()
        listed = bob.get(f"{BASE}/pods", params={"namespace": NS}, headers=[("X-Request-Id", rid), *SMUGGLED])
        assert listed.status_code == 200, listed.text
        _only_server_built(tier.calls(rid), BOB)

        # The apiserver's verdict: the read tier may not read Secrets, and it was bob who asked.
        rid = request_id()
        refused = bob.get(f"{BASE}/secrets", params={"namespace": NS}, headers=[("X-Request-Id", rid), *SMUGGLED])
        assert refused.status_code == 403, refused.text
        assert '"bob"' in refused.json()["message"]
        _only_server_built(tier.calls(rid), BOB)


@pytest.mark.parametrize("mode", ["shared", "tier"])
async def test_i1_smuggled_impersonation_on_a_live_list_never_reaches_the_cluster(
    dev: RecordedConsole, tier: RecordedConsole, cookies: dict[str, httpx.Cookies], mode: str
) -> None:
    # A namespace no other stream of these consoles watches, so this subscription opens its own watch.
    namespace, console = ("kube-system", dev) if mode == "shared" else (NS, tier)
    expected = [] if mode == "shared" else READ_TIER_STREAM
    rid = request_id()
    async with (
        httpx.AsyncClient(base_url=console.url, timeout=10, cookies=cookies["bob"] if mode == "tier" else None) as http,
        sse(http, f"{BASE}/pods/watch?namespace={namespace}", headers=[("X-Request-Id", rid), *SMUGGLED]) as reader,
    ):
        await reader.wait_event("snapshot")
        _only_server_built(console.calls(rid), expected)


async def test_i1_smuggled_impersonation_on_the_exec_socket_never_reaches_the_cluster(
    tier: RecordedConsole, cookies: dict[str, httpx.Cookies]
) -> None:
    async with httpx.AsyncClient(base_url=tier.url, timeout=10, cookies=cookies["alice"]) as alice:
        pods = (await alice.get(f"{BASE}/pods", params={"namespace": NS})).json()["items"]
    pod = next(p["name"] for p in pods if p["status"] == "Running")
    rid = request_id()
    url = f"{tier.url.replace('http', 'ws', 1)}{BASE}/pods/{NS}/{pod}/exec?tty=false&command=WyJ0cnVlIl0"
    headers = [("Cookie", f"{COOKIE}={cookies['alice'][COOKIE]}"), ("X-Request-Id", rid), *SMUGGLED]
    async with connect(url, origin=tier.url, additional_headers=headers) as ws:  # type: ignore[arg-type]
        messages = [json.loads(m) async for m in ws if isinstance(m, str)]
    assert [m["exitCode"] for m in messages if m["type"] == "closed"] == [0], messages
    calls = tier.calls(rid)
    assert any(call.websocket for call in calls)
    _only_server_built(calls, ALICE)


def test_i2_naming_impersonation_and_authorization_as_hop_by_hop_changes_nothing(
    console: Any, tier: RecordedConsole, cookies: dict[str, httpx.Cookies]
) -> None:
    # Were the console a proxy that honoured Connection, it would drop its own Impersonate-User
    # and call as itself (CVE-2021-31999); the admin token must not travel either.
    admin_token = console.fleet.clusters[CLUSTER].admin_token
    rid = request_id()
    headers = [("X-Request-Id", rid), ("Connection", "close, Impersonate-User, Impersonate-Group, Authorization"),
               ("Authorization", f"Bearer {admin_token}"), *SMUGGLED]  # fmt: skip
    with httpx.Client(base_url=tier.url, timeout=20, cookies=cookies["bob"]) as bob:
        refused = bob.get(f"{BASE}/secrets", params={"namespace": NS}, headers=headers)
    assert refused.status_code == 403, refused.text
    assert '"bob"' in refused.json()["message"]
    calls = tier.calls(rid)
    _only_server_built(calls, BOB)
    assert all(not call.header("Authorization") and not call.header("Connection") for call in calls)


def test_i7_without_a_session_nothing_is_sent_to_the_cluster_as_the_console(tier: RecordedConsole) -> None:
    for cookie in (None, "made-up", "x" * 4000):
        rid = request_id()
        with httpx.Client(base_url=tier.url, timeout=20, cookies={COOKIE: cookie} if cookie else None) as anonymous:
            response = anonymous.get(f"{BASE}/pods", params={"namespace": NS}, headers={"X-Request-Id": rid})
        assert (response.status_code, response.json()["error"]) == (401, "E_UNAUTHENTICATED")
        assert tier.calls(rid) == []


def test_i7_a_person_without_a_tier_is_refused_as_themselves_not_served_as_the_console(
    tier: RecordedConsole, cookies: dict[str, httpx.Cookies]
) -> None:
    rid = request_id()
    with httpx.Client(base_url=tier.url, timeout=20, cookies=cookies["dave"]) as dave:
        refused = dave.get(f"{BASE}/pods", params={"namespace": NS}, headers={"X-Request-Id": rid})
    assert refused.status_code == 403, refused.text
    assert '"dave"' in refused.json()["message"]
    _only_server_built(tier.calls(rid), [("impersonate-user", "dave")])
