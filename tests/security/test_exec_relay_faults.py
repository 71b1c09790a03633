"""D6 and S7: an exec relay ends cleanly when the apiserver refuses the upgrade, and with the session.

D6 runs on a dev-mode console of its own (its v5/v4 breaker is not shared with other
tests), with the sandbox apiserver told to answer the exec upgrade with a 5xx. S7 runs
on a console in tier mode signing people in at a loopback OpenID provider, which re-checks
the session behind a stream every 0.3 s.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
from auth_peers import COOKIE, CSRF_COOKIE, Browser, Idp, run_idp
from security_peers import RecordedConsole, recorded_console, request_id
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's authlib, on its thread

CLUSTER, NS = "prod", "payments"
BASE = f"/api/clusters/{CLUSTER}"
USERS = {"alice": {"email": "alice@example.com", "groups": ["periscope-users", "sre"]}}
AUTHZ = {"mode": "tier", "allowedGroups": ["periscope-users"], "groupTiers": {"sre": "admin"}}


def _command(*argv: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(argv)).encode()).decode().rstrip("=")


async def _running_pod(console: RecordedConsole, cookies: httpx.Cookies | None = None) -> str:
    async with httpx.AsyncClient(base_url=console.url, timeout=10, cookies=cookies) as http:
        pods = (await http.get(f"{BASE}/pods", params={"namespace": NS})).json()["items"]
    return str(next(p["name"] for p in pods if p["status"] == "Running"))


async def _read_until_closed(ws: ClientConnection) -> tuple[list[dict[str, Any]], bytes]:
    """Every control message and every output byte, until the console closes the socket."""
    messages: list[dict[str, Any]] = []
    output = bytearray()
    with anyio.fail_after(10):
        try:
            async for frame in ws:
                if isinstance(frame, bytes):
                    output += frame
                else:
                    messages.append(json.loads(frame))
        except ConnectionClosed:
            pass
    return messages, bytes(output)


@pytest.fixture(scope="module")
def own_dev(console: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedConsole]:
    with recorded_console(console, tmp_path_factory.mktemp("exec-faults")) as running:
        yield running


@pytest.mark.parametrize("status", [500, 503])
async def test_d6_a_refused_upstream_upgrade_ends_the_browsers_socket_with_no_bytes(
    console: Any, own_dev: RecordedConsole, status: int
) -> None:
    pod = await _running_pod(own_dev)
    faults = console.fleet.clusters[CLUSTER].api.faults
    faults.fail(r"/exec\?", status, times=2)  # v5, then the retry offering v4 alone
    rid = request_id()
    try:
        url = f"{own_dev.url.replace('http', 'ws', 1)}{BASE}/pods/{NS}/{pod}/exec?tty=false&command={_command('id')}"
        async with connect(url, origin=own_dev.url, additional_headers={"X-Request-Id": rid}) as ws:  # type: ignore[arg-type]
            messages, output = await _read_until_closed(ws)
    finally:
        faults.clear()
    assert output == b""
    assert [m["type"] for m in messages] == ["error", "closed"], messages
    assert ws.close_code not in (None, 1000)
    assert len([call for call in own_dev.calls(rid) if call.websocket]) == 2
    async with httpx.AsyncClient(base_url=own_dev.url, timeout=10) as http:
        assert (await http.get("/api/exec/sessions")).json()["sessions"] == []


@pytest.fixture(scope="module")
def tier(console: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedConsole]:
    with run_idp(USERS) as idp, _tier_console(console, idp, tmp_path_factory) as running:
        yield running


def _tier_console(console: Any, idp: Idp, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return recorded_console(console, tmp_path_factory.mktemp("exec-sign-out"), idp=idp, authorization=AUTHZ,
                            stream_recheck_seconds=0.3)  # fmt: skip


@pytest.fixture
async def alice(tier: RecordedConsole) -> AsyncIterator[httpx.Cookies]:
    browser = Browser(tier.url)
    try:
        assert (await anyio.to_thread.run_sync(browser.sign_in, "alice")).status_code == 302
        yield httpx.Cookies(browser.http.cookies)
    finally:
        browser.close()


async def test_s7_signing_out_closes_an_open_exec_socket(tier: RecordedConsole, alice: httpx.Cookies) -> None:
    pod = await _running_pod(tier, alice)
    url = f"{tier.url.replace('http', 'ws', 1)}{BASE}/pods/{NS}/{pod}/exec?tty=false&command={_command('sleep', '30')}"
    async with connect(url, origin=tier.url, additional_headers={"Cookie": f"{COOKIE}={alice[COOKIE]}"}) as ws:  # type: ignore[arg-type]
        with anyio.fail_after(5):
            hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        async with httpx.AsyncClient(base_url=tier.url, timeout=10, cookies=alice) as http:
            signed_out = await http.post("/api/auth/logout", headers={"Origin": tier.url,
                                                                      "X-CSRF-Token": alice[CSRF_COOKIE]})  # fmt: skip
        assert signed_out.status_code == 204
        with anyio.move_on_after(3):
            await _read_until_closed(ws)
        # 4000 + the HTTP status of the error, as every in-band exec error closes (ADR 0008): 4401.
        assert ws.close_code == 4401, "the socket is still open after sign-out"
