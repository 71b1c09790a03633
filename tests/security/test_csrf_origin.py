"""C1-C5, G4, I6: another site can make a signed-in browser send requests; none of them may act.

Two consoles in tier mode sign people in at a loopback OpenID provider, with their
apiserver calls recorded: ``direct`` is reached as it is (no proxy trusted, so forwarded
headers are a client's forgery), ``proxied`` trusts loopback as its TLS proxy, so its
own origin is ``https://periscope.example``. Each forged request carries a fresh request
id, and the record shows whether the console called a cluster for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from auth_peers import COOKIE, CSRF_COOKIE, REDIRECT, Browser, Idp, query_of, run_idp
from live_peers import eventually
from security_peers import RecordedConsole, recorded_console, request_id
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's authlib, on its thread

USERS = {
    "alice": {"email": "alice@example.com", "groups": ["periscope-users", "sre"]},
    "bob": {"email": "bob@example.com", "groups": ["periscope-users", "devs"]},
}
AUTHZ = {"mode": "tier", "allowedGroups": ["periscope-users"], "groupTiers": {"sre": "admin", "devs": "read"}}
BASE = "/api/clusters/prod"
TARGET_POD = f"{BASE}/resources/core/v1/pods/payments/csrf-target"
"""Absent from the cluster: an attack that got through would show as a call, and change nothing."""
SCALE = f"{BASE}/deployments/checkout/web/scale"
EXEC = f"{BASE}/pods/payments/csrf-target/exec"
PROXY_HOST = "periscope.example"
BEHIND_TLS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": PROXY_HOST}
EVIL = "https://evil.example"


class Person:
    """A signed-in browser's cookies and CSRF token on one console."""

    def __init__(self, console: RecordedConsole, sub: str) -> None:
        browser = Browser(console.url)
        assert browser.sign_in(sub).status_code == 302
        self.console, self.cookies = console, httpx.Cookies(browser.http.cookies)
        self.session, self.csrf = self.cookies[COOKIE], self.cookies[CSRF_COOKIE]
        browser.close()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.console.url, timeout=20, cookies=self.cookies)

    def send(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, str]:
        """The request with a fresh id; the response and that id."""
        rid = request_id()
        kwargs["headers"] = {"X-Request-Id": rid, **kwargs.get("headers", {})}
        with self.client() as http, http.stream(method, path, **kwargs) as response:
            # A stream that was let through never ends by itself: its status is the answer.
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                response.read()
            return response, rid


@pytest.fixture(scope="module")
def idp() -> Iterator[Idp]:
    with run_idp(USERS) as running:
        yield running


@pytest.fixture(scope="module")
def direct(console: Any, idp: Idp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedConsole]:
    with recorded_console(console, tmp_path_factory.mktemp("csrf-direct"), idp=idp, authorization=AUTHZ) as running:
        yield running


@pytest.fixture(scope="module")
def proxied(console: Any, idp: Idp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedConsole]:
    with recorded_console(console, tmp_path_factory.mktemp("csrf-proxied"), idp=idp, authorization=AUTHZ,
                          session={"trustedProxies": ["127.0.0.1/32"]}) as running:  # fmt: skip
        yield running


@pytest.fixture(scope="module")
def alice(direct: RecordedConsole) -> Person:
    return Person(direct, "alice")


@pytest.fixture(scope="module")
def bob(direct: RecordedConsole) -> Person:
    return Person(direct, "bob")


def _refused(console: RecordedConsole, response: httpx.Response, rid: str, status: int, code: str) -> None:
    assert response.status_code == status, response.headers.get("content-type")
    assert response.json()["error"] == code, response.text
    assert console.calls(rid) == [], "the console called a cluster for a forged request"


def _ws(url: str, path: str) -> str:
    return url.replace("http", "ws", 1) + path


async def _upgrade(url: str, origin: str | None, headers: list[tuple[str, str]]) -> int:
    """The status of an exec upgrade: 101 when accepted (the socket is closed again at once)."""
    try:
        async with connect(url, origin=origin, additional_headers=headers):  # type: ignore[arg-type]
            return 101
    except InvalidStatus as refused:
        response = refused.response
    assert json.loads(response.body)["error"] in ("E_ORIGIN_REJECTED", "E_UNAUTHENTICATED")
    return response.status_code


def test_c1_the_record_sees_a_change_that_carries_its_token(alice: Person) -> None:
    # The forgeries below are judged by "no call"; first show that the genuine request makes one.
    response, rid = alice.send("DELETE", TARGET_POD, headers={"Origin": alice.console.url, "X-CSRF-Token": alice.csrf})
    assert response.status_code == 404, response.text
    assert [call.method for call in alice.console.calls(rid)] == ["DELETE"]


@pytest.mark.parametrize(("method", "path", "options"), [
    pytest.param("DELETE", TARGET_POD, {}, id="delete-bare"),
    pytest.param("DELETE", TARGET_POD, {"headers": {"Origin": "{own}"}}, id="delete-own-origin"),
    pytest.param("DELETE", TARGET_POD, {"headers": {"Origin": "{own}", "X-CSRF-Token": ""}}, id="delete-empty-token"),
    pytest.param("DELETE", TARGET_POD, {"headers": {"Origin": "{own}", "X-CSRF-Token": "{bob}"}},
                 id="delete-another-sessions-token"),
    pytest.param("PATCH", TARGET_POD, {"headers": {"Origin": "{own}", "Content-Type": "text/plain"},
                                       "content": "kind: Pod"}, id="apply-text-plain"),
    pytest.param("POST", SCALE, {"headers": {"Origin": "{own}"}, "data": {"replicas": "0"}}, id="form-no-field"),
    pytest.param("POST", SCALE, {"headers": {"Origin": "{own}"}, "data": {"replicas": "0", "csrf_token": "{bob}"}},
                 id="form-another-sessions-token"),
    pytest.param("POST", SCALE, {"headers": {"Content-Type": "text/plain"}, "content": '{"replicas": 0}'},
                 id="scale-text-plain"),
])  # fmt: skip
def test_c1_a_cookie_without_its_own_sessions_token_changes_nothing(
    alice: Person, bob: Person, method: str, path: str, options: dict[str, Any]
) -> None:
    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value.replace("{own}", alice.console.url).replace("{bob}", bob.csrf)

    response, rid = alice.send(method, path, **fill(options))
    _refused(alice.console, response, rid, 403, "E_CSRF")


async def test_c2_a_cross_site_exec_upgrade_is_refused_before_the_101_without_any_call(alice: Person) -> None:
    rid = request_id()
    headers = [("Cookie", f"{COOKIE}={alice.session}"), ("X-Request-Id", rid)]
    assert await _upgrade(_ws(alice.console.url, EXEC), EVIL, headers) == 403
    assert alice.console.calls(rid) == []


async def test_c2_a_refused_cross_site_exec_upgrade_is_audited(direct: RecordedConsole, alice: Person) -> None:
    rid = request_id()
    headers = [("Cookie", f"{COOKIE}={alice.session}"), ("X-Request-Id", rid)]
    assert await _upgrade(_ws(direct.url, EXEC), EVIL, headers) == 403
    # A sign-in after it is audited too; once its row is in, so would the refusal's be.
    await anyio.to_thread.run_sync(Person, direct, "bob")
    await eventually(lambda: _audited(direct, "login"))
    [refused] = [e for e in direct.audit.events if e.request_id == rid]
    assert (refused.verb, refused.outcome, refused.actor.sub) == ("ws_origin_rejected", "denied", "alice")
    assert refused.extra["origin"] == EVIL


async def _audited(console: RecordedConsole, verb: str) -> bool:
    return any(e.verb == verb for e in console.audit.events)


@pytest.fixture(scope="module")
def behind_proxy(proxied: RecordedConsole) -> Person:
    return Person(proxied, "alice")


FOREIGN_ORIGINS = [
    "null",
    f"https://{PROXY_HOST}.evil.example",
    f"http://{PROXY_HOST}",
    f"https://{PROXY_HOST}:8443",
    f"https://console.{PROXY_HOST}",
    f"https://{PROXY_HOST}/",
]


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_c3_a_change_from_a_near_miss_origin_is_refused(behind_proxy: Person, origin: str) -> None:
    headers = {**BEHIND_TLS, "Origin": origin, "X-CSRF-Token": behind_proxy.csrf}
    response, rid = behind_proxy.send("POST", f"{BASE}/can-i", headers=headers, json={"checks": []})
    _refused(behind_proxy.console, response, rid, 403, "E_CSRF")


@pytest.mark.parametrize("origin", [*FOREIGN_ORIGINS, None])
async def test_c3_an_exec_upgrade_from_a_near_miss_origin_or_none_is_refused(
    behind_proxy: Person, origin: str | None
) -> None:
    rid = request_id()
    headers = [*BEHIND_TLS.items(), ("Cookie", f"{COOKIE}={behind_proxy.session}"), ("X-Request-Id", rid)]
    assert await _upgrade(_ws(behind_proxy.console.url, EXEC), origin, headers) == 403
    assert behind_proxy.console.calls(rid) == []


async def test_c3_the_exact_origin_the_browser_used_is_accepted(behind_proxy: Person) -> None:
    response, _ = behind_proxy.send("POST", f"{BASE}/can-i", json={"checks": []},
                                    headers={**BEHIND_TLS, "Origin": f"https://{PROXY_HOST}",
                                             "X-CSRF-Token": behind_proxy.csrf})  # fmt: skip
    assert response.status_code == 200, response.text
    headers = [*BEHIND_TLS.items(), ("Cookie", f"{COOKIE}={behind_proxy.session}")]
    assert await _upgrade(_ws(behind_proxy.console.url, EXEC), f"https://{PROXY_HOST}", headers) == 101


@pytest.mark.parametrize("headers", [
    {"Origin": EVIL},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"},
    {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"},
])  # fmt: skip
@pytest.mark.parametrize("path", [f"{BASE}/pods/watch?namespace=payments", f"{BASE}/pods?namespace=payments"])
def test_c4_another_sites_scripts_cannot_read_the_api_or_open_a_stream(
    bob: Person, headers: dict[str, str], path: str
) -> None:
    response, rid = bob.send("GET", path, headers=headers)
    _refused(bob.console, response, rid, 403, "E_CSRF")


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"},
    {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"},
    # A link from another site is a navigation: allowed, and a GET changes nothing (ADR 0009).
    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Accept": "text/html"},
])  # fmt: skip
def test_c4_the_consoles_own_pages_and_navigations_still_read(bob: Person, headers: dict[str, str]) -> None:
    response, rid = bob.send("GET", f"{BASE}/pods?namespace=payments", headers=headers)
    assert response.status_code == 200, response.text
    assert bob.console.calls(rid)


@pytest.mark.parametrize("path", ["/api/auth/logout", "/api/auth/logout/everywhere", SCALE, TARGET_POD])
def test_g4_a_get_to_a_changing_route_changes_nothing(alice: Person, path: str) -> None:
    response, rid = alice.send("GET", path)
    assert response.status_code in (404, 405), response.text
    assert [call.method for call in alice.console.calls(rid)] in ([], ["GET"])
    with alice.client() as http:
        assert http.get("/api/auth/whoami").json()["subject"] == "alice"


async def test_c5_a_signed_out_sessions_cookie_opens_no_socket_and_reads_nothing(direct: RecordedConsole) -> None:
    gone = await anyio.to_thread.run_sync(Person, direct, "bob")
    with gone.client() as http:
        signed_out = http.post("/api/auth/logout", headers={"Origin": direct.url, "X-CSRF-Token": gone.csrf})
    assert signed_out.status_code == 204
    rid = request_id()
    assert await _upgrade(_ws(direct.url, EXEC), direct.url, [("Cookie", f"{COOKIE}={gone.session}"),
                                                               ("X-Request-Id", rid)]) == 401  # fmt: skip
    assert direct.calls(rid) == []
    response, rid = gone.send("GET", f"{BASE}/pods")
    _refused(direct, response, rid, 401, "E_UNAUTHENTICATED")


def test_i6_forged_forwarding_headers_build_no_redirect_and_no_secure_cookie(direct: RecordedConsole) -> None:
    forged = {**BEHIND_TLS, "X-Forwarded-Host": "evil.example", "X-Forwarded-For": "203.0.113.9"}
    browser = Browser(direct.url)
    browser.http.headers.update(forged)
    try:
        authorize_url = browser.start_login()
        assert query_of(authorize_url)["redirect_uri"] == REDIRECT
        login = browser.http.cookies.jar
        assert all(not cookie.secure for cookie in login)
        done = browser.callback(browser.authorize(authorize_url, "bob"))
        assert (done.status_code, done.headers["location"]) == (302, "/")
        assert "strict-transport-security" not in done.headers
        assert {c.name for c in browser.http.cookies.jar} >= {COOKIE, CSRF_COOKIE}
        assert all(not cookie.secure for cookie in browser.http.cookies.jar)
    finally:
        browser.close()


async def test_i6_forged_forwarding_headers_do_not_move_the_origin_checks(alice: Person) -> None:
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    response, rid = alice.send("POST", f"{BASE}/can-i", json={"checks": []},
                               headers={**forged, "Origin": EVIL, "X-CSRF-Token": alice.csrf})  # fmt: skip
    _refused(alice.console, response, rid, 403, "E_CSRF")
    rid = request_id()
    headers = [*forged.items(), ("Cookie", f"{COOKIE}={alice.session}"), ("X-Request-Id", rid)]
    assert await _upgrade(_ws(alice.console.url, EXEC), EVIL, headers) == 403
    assert alice.console.calls(rid) == []
