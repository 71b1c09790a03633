"""S1, S6, S9, S13, I3: what signing in leaves in the browser, the logs and the audit trail.

Consoles sign people in at a loopback OpenID provider that keeps a copy of every token it
issues, so a leak check can look for the exact values. ``tier`` trusts loopback as its TLS
proxy (the cookie attributes a browser behind TLS gets); ``host_prefixed`` is the same
with a ``__Host-`` cookie name; ``raw`` forwards IdP groups, where names unsafe as headers
must be refused.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from http.cookies import Morsel, SimpleCookie
from typing import Any

import httpx
import msgspec
import pytest
from auth_peers import COOKIE, CSRF_COOKIE, Browser
from security_peers import RecordedConsole, TokenKeepingIdp, recorded_console, request_id, run_token_keeping_idp
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's authlib, on its thread

CRLF_SUBJECT = "eve\r\nImpersonate-Group: system:masters"
USERS = {
    "alice": {"email": "alice@example.com", "groups": ["periscope-users", "sre"]},
    "bob": {"email": "bob@example.com", "groups": ["periscope-users", "devs"]},
    "mallory": {"email": "mallory@example.com", "groups": ["periscope-users", "devs"]},
    CRLF_SUBJECT: {"email": "eve@example.com", "groups": ["periscope-users"]},
    "ève": {"email": "eve2@example.com", "groups": ["periscope-users"]},
    "comma": {"email": "comma@example.com", "groups": ["periscope-users", "devs,system:masters"]},
    "nul": {"email": "nul@example.com", "groups": ["periscope-users", "devs\x00system:masters"]},
}
TIER = {"mode": "tier", "allowedGroups": ["periscope-users"], "groupTiers": {"sre": "admin", "devs": "read"}}
RAW = {"mode": "raw", "allowedGroups": ["periscope-users"]}
TRUSTED = {"trustedProxies": ["127.0.0.1/32"]}
BEHIND_TLS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "periscope.example"}
LOGIN_COOKIE = "periscope_login"
PROVIDER_LOGGERS = ("werkzeug", "authlib", "flask", "oidc_provider_mock")


@pytest.fixture(scope="module")
def idp() -> Iterator[TokenKeepingIdp]:
    with run_token_keeping_idp(USERS) as running:
        yield running


@pytest.fixture(scope="module")
def tier(console: Any, idp: TokenKeepingIdp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedConsole]:
    with recorded_console(console, tmp_path_factory.mktemp("sessions-tier"), idp=idp.idp, authorization=TIER,
                          session=TRUSTED) as running:  # fmt: skip
        yield running


@pytest.fixture(scope="module")
def host_prefixed(
    console: Any, idp: TokenKeepingIdp, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RecordedConsole]:
    with recorded_console(console, tmp_path_factory.mktemp("sessions-host"), idp=idp.idp, authorization=TIER,
                          session={**TRUSTED, "cookieName": "__Host-periscope"}) as running:  # fmt: skip
        yield running


@pytest.fixture(scope="module")
def raw(console: Any, idp: TokenKeepingIdp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedConsole]:
    with recorded_console(console, tmp_path_factory.mktemp("sessions-raw"), idp=idp.idp, authorization=RAW) as running:
        yield running


def _set_cookies(response: httpx.Response) -> dict[str, Morsel[str]]:
    jar: SimpleCookie = SimpleCookie()
    for line in response.headers.get_list("set-cookie"):
        jar.load(line)
    return dict(jar)


def _sign_in_behind_tls(console: RecordedConsole, sub: str) -> tuple[httpx.Response, httpx.Response]:
    """The login and callback responses of a browser reaching the console through its TLS proxy.

    Cookies are carried by hand: they are Secure, and this hop to the console is plain http.
    """
    with httpx.Client(base_url=console.url, timeout=20, headers=BEHIND_TLS) as http:
        login = http.get("/api/auth/login")
        assert login.status_code == 302, login.text
        params = Browser.authorize(login.headers["location"], sub)
        sealed = _set_cookies(login)[LOGIN_COOKIE].value
        done = http.get("/api/auth/callback", params=params, headers={"Cookie": f"{LOGIN_COOKIE}={sealed}"})
    assert done.status_code == 302, done.text
    return login, done


def _host_prefix_rules(cookie: Morsel[str]) -> None:
    assert (bool(cookie["secure"]), cookie["path"], cookie["domain"]) == (True, "/", ""), cookie.OutputString()


def _wait_for_row(console: RecordedConsole, rid: str) -> Any:
    """The audit row of one request; the pipeline writes it from the console's thread, a moment later."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        rows = [e for e in list(console.audit.events) if e.request_id == rid]
        if rows:
            return rows[-1]
        time.sleep(0.02)
    raise AssertionError(f"no audit row for {rid} within 5 s")


def test_s1_a_forged_state_sets_no_cookie_and_is_audited_as_a_failed_sign_in(tier: RecordedConsole) -> None:
    browser = Browser(tier.url)
    try:
        params = browser.authorize(browser.start_login(), "bob")
        rid = request_id()
        refused = browser.http.get("/api/auth/callback", params={**params, "state": "forged"},
                                   headers={"X-Request-Id": rid})  # fmt: skip
    finally:
        browser.close()
    assert (refused.status_code, refused.json()["error"]) == (400, "E_LOGIN_FAILED")
    assert set(_set_cookies(refused)) == {LOGIN_COOKIE}  # cleared, and nothing else set
    assert _set_cookies(refused)[LOGIN_COOKIE]["max-age"] == "0"
    row = _wait_for_row(tier, rid)
    assert (row.verb, row.outcome, row.actor.sub, row.extra["error"]) == ("login", "failure", "", "E_LOGIN_FAILED")
    assert "state" in row.reason


def test_s6_a_session_id_planted_before_sign_in_is_never_adopted(tier: RecordedConsole) -> None:
    attacker = Browser(tier.url)
    victim = Browser(tier.url)
    try:
        assert attacker.sign_in("mallory").status_code == 302
        planted = attacker.http.cookies[COOKIE]
        for value in ("chosen-by-the-attacker", planted):
            victim.http.cookies.set(COOKIE, value, domain="127.0.0.1")
            assert victim.sign_in("bob").status_code == 302
            issued = victim.http.cookies[COOKIE]
            assert issued not in (value, planted)
            assert victim.whoami().json()["subject"] == "bob"
        with httpx.Client(base_url=tier.url, timeout=20) as http:
            assert http.get("/api/auth/whoami", cookies={COOKIE: "chosen-by-the-attacker"}).status_code == 401
            assert http.get("/api/auth/whoami", cookies={COOKIE: planted}).json()["subject"] == "mallory"
    finally:
        attacker.close()
        victim.close()


@pytest.mark.parametrize("prefixed", [False, True], ids=["default-name", "host-prefixed-name"])
def test_s9_session_cookies_behind_tls_are_secure_httponly_lax_host_only_and_small(
    tier: RecordedConsole, host_prefixed: RecordedConsole, idp: TokenKeepingIdp, prefixed: bool
) -> None:
    console = host_prefixed if prefixed else tier
    name = "__Host-periscope" if prefixed else COOKIE
    login, done = _sign_in_behind_tls(console, "bob")
    sealed = _set_cookies(login)[LOGIN_COOKIE]
    assert (sealed["secure"], sealed["httponly"], sealed["samesite"].lower(), sealed["path"]) == (
        True, True, "lax", "/api/auth")  # fmt: skip
    cookies = _set_cookies(done)
    session, csrf = cookies[name], cookies[f"{name}_csrf"]
    for cookie in (session, csrf):
        _host_prefix_rules(cookie)
        assert cookie["samesite"].lower() == "lax"
        assert len(cookie.OutputString()) <= 4096
    assert (bool(session["httponly"]), bool(csrf["httponly"])) == (True, False)
    # Opaque: the browser never holds an IdP token, nor anything shaped like one.
    assert session.value.count(".") < 2
    assert all(token not in session.value and session.value not in token for token in idp.secrets())
    with httpx.Client(base_url=console.url, timeout=20) as http:
        assert http.get("/api/auth/whoami", headers={"Cookie": f"{name}={session.value}"}).json()["subject"] == "bob"


def test_s13_no_token_or_session_secret_shows_in_bodies_logs_or_audit_rows(
    tier: RecordedConsole, idp: TokenKeepingIdp, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    browser = Browser(tier.url)
    try:
        assert browser.sign_in("bob").status_code == 302
        session, csrf = browser.http.cookies[COOKIE], browser.csrf
        own = {"Origin": tier.url}
        answers = [
            browser.http.get("/api/clusters/prod/secrets", params={"namespace": "payments"}),  # the apiserver's 403
            browser.http.get("/api/clusters/nowhere/pods"),
            browser.http.get("/api/clusters/prod/pods", params={"namespace": ".."}),
            browser.http.post("/api/clusters/prod/can-i", content=b"[" * 50_000,
                              headers={**own, "X-CSRF-Token": csrf, "Content-Type": "application/json"}),
            browser.http.delete("/api/clusters/prod/resources/core/v1/pods/payments/x", headers=own),
            browser.http.delete("/api/clusters/prod/resources/core/v1/pods/payments/x",
                                headers={"Origin": "https://evil.example", "X-CSRF-Token": csrf}),
            browser.http.get("/api/clusters/prod/pods", headers={"Origin": "https://evil.example"}),
            browser.http.get("/api/auth/callback", params={"code": "x", "state": "forged"}),
        ]  # fmt: skip
        with httpx.Client(base_url=tier.url, timeout=20) as stranger:
            answers.append(stranger.get("/api/auth/whoami", headers={"Cookie": f"{COOKIE}={session}x"}))
            answers.append(stranger.get("/api/auth/whoami", headers={"Authorization": f"Bearer {session}"}))
        assert all(a.status_code >= 400 for a in answers), [a.status_code for a in answers]
        assert browser.post("/api/auth/logout").status_code == 204
    finally:
        browser.close()

    secrets = {*idp.secrets(), session, csrf}
    assert len(secrets) >= 4, "the provider issued no tokens to look for"
    shown = "\n".join(a.text + repr([(k, v) for k, v in a.headers.items() if k != "set-cookie"]) for a in answers)
    captured = capfd.readouterr()
    # The console's records: this thread's are the test's own client's, and the provider logs what it issues.
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if r.thread != threading.get_ident() and not r.name.startswith(PROVIDER_LOGGERS))
    assert logged, "nothing the console logged was captured"
    audit_rows = msgspec.json.encode(list(tier.audit.events)).decode()
    for where, text in (("error bodies", shown), ("logs", logged), ("stdout", captured.out),
                        ("stderr", captured.err), ("audit rows", audit_rows)):  # fmt: skip
        assert not [s for s in secrets if s in text], f"a token or session secret in the {where}"


@pytest.mark.parametrize("sub", [CRLF_SUBJECT, "ève", "comma", "nul"])
def test_i3_an_identity_unsafe_as_impersonation_headers_is_refused_and_audited(raw: RecordedConsole, sub: str) -> None:
    browser = Browser(raw.url)
    try:
        params = browser.authorize(browser.start_login(), sub)
        rid = request_id()
        refused = browser.http.get("/api/auth/callback", params=params, headers={"X-Request-Id": rid})
    finally:
        browser.close()
    assert (refused.status_code, refused.json()["error"]) == (403, "E_IDENTITY_REJECTED"), refused.text
    assert set(_set_cookies(refused)) == {LOGIN_COOKIE}
    row = _wait_for_row(raw, rid)
    assert (row.verb, row.outcome, row.extra["error"]) == ("login_denied", "denied", "E_IDENTITY_REJECTED")
    assert not {"\r", "\n"} & set(row.reason)
    assert raw.calls(rid) == []


async def test_s13_an_exec_upgrade_refusal_does_not_echo_the_cookie(tier: RecordedConsole) -> None:
    url = tier.url.replace("http", "ws", 1) + "/api/clusters/prod/pods/payments/x/exec"
    secret = "s" * 43
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, origin="https://evil.example",  # type: ignore[arg-type]
                           additional_headers={"Cookie": f"{COOKIE}={secret}"}):
            pass
    assert refused.value.response.status_code == 403
    assert secret not in refused.value.response.body.decode()
    assert CSRF_COOKIE not in refused.value.response.body.decode()
