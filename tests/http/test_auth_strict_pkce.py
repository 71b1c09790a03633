"""Signing in at a second, stricter real provider: panva's oidc-provider (Node), with PKCE required.

Optional: runs where ``node`` is installed and ``PERISCOPE_TEST_OIDC_PROVIDER`` names a
folder in which ``npm install oidc-provider`` was run; skipped otherwise. This provider
keeps email and groups out of the ID token in the code flow, so groups come from userinfo.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from auth_peers import REDIRECT, Browser, Consoles, Idp, Running, auth_file, query_of, with_query

from periscope_entrypoints.bootstrap import Settings

MODULES = os.environ.get("PERISCOPE_TEST_OIDC_PROVIDER", "")
PEER = Path(__file__).with_name("oidc_provider_peer.mjs")
USERS = {"alice": {"email": "alice@example.com", "groups": ["periscope-users", "sre"]}}

pytestmark = pytest.mark.skipif(
    not (shutil.which("node") and MODULES and (Path(MODULES) / "node_modules" / "oidc-provider").is_dir()),
    reason="set PERISCOPE_TEST_OIDC_PROVIDER to a folder where `npm install oidc-provider` ran",
)


@contextmanager
def run_strict_idp(users: Mapping[str, Mapping[str, Any]]) -> Iterator[Idp]:
    node = shutil.which("node") or "node"
    process = subprocess.Popen([node, str(PEER), MODULES, REDIRECT, json.dumps(users)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        yield Idp(issuer=process.stdout.readline().strip())
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def interact(authorize_url: str, sub: str) -> dict[str, str]:
    """Go through the provider's sign-in and consent pages as ``sub``; the redirect's query parameters."""
    with httpx.Client(timeout=20, follow_redirects=False) as idp_browser:
        response = idp_browser.get(authorize_url)
        for _ in range(10):
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(REDIRECT):
                return query_of(location)
            if "/interaction/" in location:
                page = idp_browser.get(location)
                prompt = "login" if 'name="login"' in page.text else "consent"
                response = idp_browser.post(location, data={"prompt": prompt, "login": sub, "password": "x"})
            else:
                response = idp_browser.get(location)
    raise AssertionError("the provider never redirected back")


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, Idp]]:
    workdir = tmp_path_factory.mktemp("strict-pkce")
    with run_strict_idp(USERS) as idp, start_blocking_portal() as portal:
        path = auth_file(workdir / "auth.yaml", idp, authorization={
            "mode": "tier", "allowedGroups": ["periscope-users"], "groupTiers": {"sre": "admin"}})
        consoles = Consoles(portal)
        yield consoles.start(Settings(auth_file=str(path), data_dir=str(workdir))), idp
        consoles.stop_all()


@pytest.fixture
def browser(strict: tuple[Running, Idp]) -> Iterator[Browser]:
    opened = Browser(strict[0].url)
    yield opened
    opened.close()


def test_sign_in_with_groups_from_userinfo(browser: Browser) -> None:
    done = browser.callback(interact(browser.start_login(), "alice"))
    assert done.status_code == 302, done.text
    me = browser.whoami().json()
    assert (me["subject"], me["email"], me["groups"], me["tier"]) == (
        "alice", "alice@example.com", ["periscope-users", "sre"], "admin")


def test_the_provider_refuses_a_sign_in_without_pkce(browser: Browser) -> None:
    authorize_url = browser.start_login()
    stripped = with_query(authorize_url, code_challenge="", code_challenge_method="")
    refused = browser.callback(interact(stripped, "alice"))
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == "E_LOGIN_FAILED"
    assert "invalid_request" in refused.json()["message"]


def test_logout_everywhere_goes_to_the_providers_end_session(browser: Browser, strict: tuple[Running, Idp]) -> None:
    assert browser.callback(interact(browser.start_login(), "alice")).status_code == 302
    done = browser.post("/api/auth/logout/everywhere")
    assert done.status_code == 302
    assert done.headers["location"].startswith(f"{strict[1].issuer}/session/end?")
    assert browser.whoami().status_code == 401
