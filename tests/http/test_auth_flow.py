"""Signing in through HTTP: a browser-like client, the real app, and a real OpenID provider on loopback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from auth_peers import (
    COOKIE,
    CSRF_COOKIE,
    LOGGED_OUT,
    Browser,
    Consoles,
    Idp,
    Running,
    auth_file,
    query_of,
    run_idp,
    with_query,
)

from periscope_core.domain.identity import Impersonation, Principal
from periscope_entrypoints.bootstrap import Settings
from periscope_entrypoints.http.deps import CALLER_STATE, Caller
from periscope_entrypoints.http.session_gate import SESSION_ID_STATE, still_signed_in

USERS = {
    "alice": {"email": "alice@example.com", "groups": ["periscope-users", "sre"]},
    "bob": {"email": "bob@example.com", "groups": ["periscope-users", "devs"]},
    "carol": {"email": "carol@example.com", "groups": ["periscope-users", "devs"]},
    "mallory": {"email": "mallory@example.com", "groups": ["contractors"]},
}
AUTHZ = {"mode": "tier", "allowedGroups": ["periscope-users"], "groupTiers": {"sre": "admin", "devs": "read"}}
EIGHT_HOURS = 8 * 3600

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's authlib, on its thread

Browsers = Callable[[Running], Browser]


@pytest.fixture(scope="module")
def idp() -> Iterator[Idp]:
    with run_idp(USERS) as running:
        yield running


@pytest.fixture(scope="module")
def consoles() -> Iterator[Consoles]:
    with start_blocking_portal() as portal:
        started = Consoles(portal)
        try:
            yield started
        finally:
            started.stop_all()


def settings(workdir: Path, idp: Idp, *, secret: str = "", **sections: Any) -> Settings:
    path = auth_file(workdir / "auth.yaml", idp, authorization=AUTHZ, **sections)
    return Settings(auth_file=str(path), data_dir=str(workdir), session_secret=secret)


@pytest.fixture(scope="module")
def oidc(consoles: Consoles, idp: Idp, tmp_path_factory: pytest.TempPathFactory) -> Running:
    """The console most tests share: tier mode, and loopback is a trusted proxy."""
    workdir = tmp_path_factory.mktemp("oidc")
    return consoles.start(settings(workdir, idp, session={"trustedProxies": ["127.0.0.1/32"]}))


@pytest.fixture
def browsers() -> Iterator[Browsers]:
    opened: list[Browser] = []

    def open_on(console: Running) -> Browser:
        opened.append(Browser(console.url))
        return opened[-1]

    yield open_on
    for browser in opened:
        browser.close()


def _set_cookie(response: httpx.Response, name: str) -> str:
    return next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}="))


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]
    return code


def test_sign_in_whoami_and_the_cookies(oidc: Running, browsers: Browsers) -> None:
    browser = browsers(oidc)
    authorize_url = browser.start_login("/clusters/prod?tab=pods")
    request = query_of(authorize_url)
    assert request["code_challenge_method"] == "S256"
    assert len(request["code_challenge"]) == 43
    assert all(request[name] for name in ("state", "nonce"))
    assert "periscope_login" in browser.http.cookies

    done = browser.callback(browser.authorize(authorize_url, "alice"))
    assert done.status_code == 302, done.text
    assert done.headers["location"] == "/clusters/prod?tab=pods"
    session = _set_cookie(done, COOKIE).lower()
    assert all(attribute in session for attribute in ("httponly", "samesite=lax", "path=/"))
    assert "secure" not in session  # plain http, no proxy saying otherwise
    assert "httponly" not in _set_cookie(done, CSRF_COOKIE).lower()
    assert "max-age=0" in _set_cookie(done, "periscope_login").lower()

    me = browser.whoami()
    assert me.headers["cache-control"] == "no-store"
    body = me.json()
    assert {k: body[k] for k in ("subject", "email", "groups", "mode", "authzMode", "tier")} == {
        "subject": "alice", "email": "alice@example.com", "groups": ["periscope-users", "sre"],
        "mode": "oidc", "authzMode": "tier", "tier": "admin",
    }  # fmt: skip
    assert abs(body["expiresAt"] - (time.time() + EIGHT_HOURS)) < 60
    assert browser.http.get("/api/whoami").json() == {"actor": "alice", "auditEnabled": False, "mode": "tier",
                                                      "tier": "admin"}


def test_without_a_session(oidc: Running) -> None:
    with httpx.Client(base_url=oidc.url, timeout=20) as anonymous:
        config = anonymous.get("/api/auth/config")
        assert config.json() == {"authMode": "oidc", "providerName": "OIDC", "csrfCookie": CSRF_COOKIE,
                                 "csrfHeader": "X-CSRF-Token"}  # fmt: skip
        assert config.headers["cache-control"] == "no-cache"
        assert anonymous.get("/healthz").status_code == 200
        refused = anonymous.get("/api/clusters")
        assert _error(refused, 401) == "E_UNAUTHENTICATED"
        assert refused.headers["www-authenticate"] == 'Cookie realm="periscope"'
        navigation = anonymous.get("/api/clusters?x=1", headers={"Accept": "text/html"})
        assert navigation.status_code == 302
        assert navigation.headers["location"] == "/api/auth/login?next=%2Fapi%2Fclusters%3Fx%3D1"
        forged = anonymous.get("/api/auth/whoami", headers={"Cookie": f"{COOKIE}=made-up"})
        assert _error(forged, 401) == "E_UNAUTHENTICATED"
        assert "max-age=0" in _set_cookie(forged, COOKIE).lower()


def test_the_allowed_groups_gate(oidc: Running, browsers: Browsers) -> None:
    browser = browsers(oidc)
    refused = browser.sign_in("mallory")
    assert _error(refused, 403) == "E_GROUP_DENIED"
    assert COOKIE not in browser.http.cookies
    assert "periscope_login" not in browser.http.cookies
    assert browser.whoami().status_code == 401


def test_a_forged_state_is_refused(oidc: Running, browsers: Browsers) -> None:
    browser = browsers(oidc)
    params = browser.authorize(browser.start_login(), "alice")
    assert _error(browser.callback({**params, "state": "forged"}), 400) == "E_LOGIN_FAILED"
    # Without the login cookie (another browser, or too late) the callback cannot continue either.
    assert _error(browsers(oidc).callback(params), 400) == "E_LOGIN_FAILED"


def test_a_code_minted_for_another_sign_in_fails_the_nonce_check(oidc: Running, browsers: Browsers) -> None:
    browser = browsers(oidc)
    authorize_url = browser.start_login()
    refused = browser.callback(browser.authorize(with_query(authorize_url, nonce="someone-elses"), "alice"))
    assert _error(refused, 401) == "E_TOKEN_REJECTED"
    assert "nonce" in refused.json()["message"]


def test_a_code_for_another_client_is_refused(oidc: Running, browsers: Browsers) -> None:
    browser = browsers(oidc)
    authorize_url = browser.start_login()
    refused = browser.callback(browser.authorize(with_query(authorize_url, client_id="another-app"), "alice"))
    assert _error(refused, 401) == "E_TOKEN_REJECTED"


def test_a_replayed_callback_or_code_is_refused(oidc: Running, browsers: Browsers) -> None:
    browser = browsers(oidc)
    authorize_url = browser.start_login()
    login_cookie = browser.http.cookies["periscope_login"]
    params = browser.authorize(authorize_url, "alice")
    assert browser.callback(params).status_code == 302
    with httpx.Client(base_url=oidc.url, timeout=20) as replayer:
        replayed = replayer.get("/api/auth/callback", params=params,
                                headers={"Cookie": f"periscope_login={login_cookie}"})
        assert _error(replayed, 400) == "E_LOGIN_FAILED"
    fresh = browsers(oidc)
    state = query_of(fresh.start_login())["state"]
    assert _error(fresh.callback({"state": state, "code": params["code"]}), 401) == "E_TOKEN_REJECTED"
    assert browser.whoami().status_code == 200


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "/\\evil.example", "/%2F%2Fevil.example", "/%5Cevil.example",
    "javascript:alert(1)", "/\t/evil.example",
])  # fmt: skip
def test_open_redirects_land_on_the_console(oidc: Running, browsers: Browsers, target: str) -> None:
    done = browsers(oidc).sign_in("alice", next_=target)
    assert done.status_code == 302
    assert done.headers["location"] == "/"


def test_csrf_protects_every_cookie_authenticated_change(oidc: Running, browsers: Browsers) -> None:
    browser = browsers(oidc)
    assert browser.sign_in("bob").status_code == 302
    origin = oidc.url
    attempts = [
        browser.http.post("/api/auth/logout"),
        browser.http.post("/api/auth/logout", headers={"Origin": origin}),
        browser.post("/api/auth/logout", headers={"X-CSRF-Token": "guessed"}),
        browser.post("/api/auth/logout", headers={"Origin": "https://evil.example"}),
        browser.http.post("/api/auth/logout", headers={"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": browser.csrf}),
        browser.http.post("/api/auth/logout", data={"csrf_token": "guessed"}, headers={"Origin": origin}),
        browser.http.post("/api/clusters/prod/can-i", json={"checks": []}, headers={"Origin": origin}),
    ]
    assert [_error(r, 403) for r in attempts] == ["E_CSRF"] * len(attempts)
    assert browser.whoami().status_code == 200

    signed_out = browser.post("/api/auth/logout")
    assert signed_out.status_code == 204
    assert "max-age=0" in _set_cookie(signed_out, COOKIE).lower()
    assert browser.whoami().status_code == 401


def test_logout_everywhere_ends_every_session_of_that_person(oidc: Running, browsers: Browsers, idp: Idp) -> None:
    laptop, phone, colleague = browsers(oidc), browsers(oidc), browsers(oidc)
    for browser, sub in ((laptop, "alice"), (phone, "alice"), (colleague, "bob")):
        assert browser.sign_in(sub).status_code == 302
    # A plain HTML form, since the answer is a top-level redirect to the provider.
    done = laptop.http.post("/api/auth/logout/everywhere", data={"csrf_token": laptop.csrf},
                            headers={"Origin": oidc.url})
    assert done.status_code == 302, done.text
    location = done.headers["location"]
    assert location.startswith(f"{idp.issuer}/oauth2/end_session?")
    query = query_of(location)
    assert (query["post_logout_redirect_uri"], query["client_id"]) == (LOGGED_OUT, "periscope")
    assert query["id_token_hint"].count(".") == 2
    assert laptop.whoami().status_code == 401
    assert phone.whoami().status_code == 401
    assert colleague.whoami().status_code == 200
    page = laptop.http.get("/api/auth/loggedout")
    assert page.status_code == 200
    assert "signed out" in page.text


def test_signing_key_rotation_at_the_provider(oidc: Running, browsers: Browsers, idp: Idp) -> None:
    idp.rotate_key()
    browser = browsers(oidc)
    assert browser.sign_in("bob").status_code == 302
    assert browser.whoami().json()["tier"] == "read"


def test_refresh_updates_groups_and_the_gate_applies_again(
    consoles: Consoles, idp: Idp, browsers: Browsers, tmp_path: Path
) -> None:
    console = consoles.start(settings(tmp_path, idp, session={"revalidateInterval": "200ms"}))
    browser = browsers(console)
    assert browser.sign_in("carol").status_code == 302
    assert browser.whoami().json()["tier"] == "read"
    idp.put_user("carol", {"email": "carol@example.com", "groups": ["periscope-users", "sre"]})
    time.sleep(0.3)
    promoted = browser.whoami().json()
    assert (promoted["groups"], promoted["tier"]) == (["periscope-users", "sre"], "admin")
    idp.put_user("carol", {"email": "carol@example.com", "groups": ["contractors"]})
    time.sleep(0.3)
    assert _error(browser.whoami(), 401) == "E_UNAUTHENTICATED"


def test_a_restart_keeps_the_session_and_so_does_a_key_rotation(
    consoles: Consoles, idp: Idp, browsers: Browsers, tmp_path: Path
) -> None:
    old, new = "old-secret-0123456789", "new-secret-0123456789"
    first = consoles.start(settings(tmp_path, idp, secret=old))
    browser = browsers(first)
    assert browser.sign_in("alice").status_code == 302
    consoles.stop(first)

    for secret in (old, f"{new},{old}"):
        restarted = consoles.start(settings(tmp_path, idp, secret=secret))
        again = browsers(restarted)
        again.http.cookies.update(browser.http.cookies)
        assert again.whoami().json()["subject"] == "alice"
        consoles.stop(restarted)


def test_an_expired_id_token_is_refused(consoles: Consoles, browsers: Browsers, tmp_path: Path) -> None:
    with run_idp(USERS, access_token_max_age=timedelta(minutes=-5)) as stale:
        console = consoles.start(settings(tmp_path, stale))
        refused = browsers(console).sign_in("alice")
        assert _error(refused, 401) == "E_TOKEN_REJECTED"
        assert "expired" in refused.json()["message"]
        consoles.stop(console)


def test_edge_headers_and_a_trusted_proxy(oidc: Running) -> None:
    with httpx.Client(base_url=oidc.url, timeout=20) as client:
        plain = client.get("/api/auth/config", headers={"X-Request-Id": "req-123"})
        assert plain.headers["x-request-id"] == "req-123"
        assert "frame-ancestors 'none'" in plain.headers["content-security-policy"]
        assert plain.headers["x-content-type-options"] == "nosniff"
        assert plain.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in plain.headers
        assert len(client.get("/healthz", headers={"X-Request-Id": "no spaces"}).headers["x-request-id"]) == 32

        behind_tls = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "periscope.example"}
        proxied = client.get("/api/auth/config", headers=behind_tls)
        assert proxied.headers["strict-transport-security"].startswith("max-age=")
        login = client.get("/api/auth/login", headers=behind_tls)
        assert "secure" in _set_cookie(login, "periscope_login").lower()
        # The proxy names the origin the browser used; the socket's own address is not it.
        cross = client.post("/api/auth/logout", headers={**behind_tls, "Origin": oidc.url})
        assert _error(cross, 403) == "E_CSRF"
        same = client.post("/api/auth/logout", headers={**behind_tls, "Origin": "https://periscope.example"})
        assert same.status_code == 204


def test_a_long_lived_stream_learns_when_its_session_ends(
    oidc: Running, consoles: Consoles, browsers: Browsers
) -> None:
    browser = browsers(oidc)
    assert browser.sign_in("bob").status_code == 302
    session_id = browser.http.cookies[COOKIE]
    caller = Caller(principal=Principal(subject="bob"), as_=Impersonation(user="bob"))
    scope: Any = {"type": "http", "state": {CALLER_STATE: caller, SESSION_ID_STATE: session_id}}
    assert consoles.portal.call(still_signed_in, oidc.services, scope)
    assert browser.post("/api/auth/logout").status_code == 204
    assert not consoles.portal.call(still_signed_in, oidc.services, scope)
