"""Dev mode (no auth file): one fixed identity, loopback only, and the same forgery checks as OIDC mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from periscope_core.domain.errors import ConfigError
from periscope_entrypoints.bootstrap import Settings, bootstrap
from periscope_entrypoints.http.server import HttpServer


def test_the_dev_identity_has_the_auth_file_shape(http: httpx.Client) -> None:
    assert http.get("/api/auth/config").json() == {"authMode": "dev", "devBanner": True}
    me = http.get("/api/auth/whoami").json()
    assert me == {"subject": "dev@local", "email": "dev@local", "groups": ["dev"], "mode": "dev",
                  "authzMode": "shared", "auditEnabled": False, "expiresAt": 0}
    assert http.get("/api/whoami").json() == {"actor": "dev@local", "auditEnabled": False, "mode": "shared"}
    assert http.get("/api/clusters").status_code == 200


def test_sign_in_and_out_routes_only_redirect(http: httpx.Client) -> None:
    assert http.get("/api/auth/login").headers["location"] == "/"
    assert http.get("/api/auth/login", params={"next": "/clusters/prod"}).headers["location"] == "/clusters/prod"
    assert http.get("/api/auth/login", params={"next": "//evil.example"}).headers["location"] == "/"
    assert http.post("/api/auth/logout").status_code == 204
    everywhere = http.post("/api/auth/logout/everywhere")
    assert (everywhere.status_code, everywhere.headers["location"]) == (302, "/api/auth/loggedout")


def test_cross_site_changes_are_refused_without_any_cookie(console: Any, http: httpx.Client) -> None:
    # Dev mode signs in whoever reaches the port, so a page on another site must not drive it.
    evil = http.post("/api/auth/logout", headers={"Origin": "https://evil.example"})
    assert (evil.status_code, evil.json()["error"]) == (403, "E_CSRF")
    assert "frame-ancestors 'none'" in evil.headers["content-security-policy"]
    framed = http.post("/api/auth/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert framed.status_code == 403
    assert http.post("/api/auth/logout", headers={"Origin": console.url}).status_code == 204


async def test_a_foreign_websocket_upgrade_is_refused(console: Any) -> None:
    url = console.url.replace("http://", "ws://") + "/api/clusters/prod/pods/payments/x/exec"
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, origin="https://evil.example")  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(http: httpx.Client) -> None:
    response = http.get("/api/auth/config", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in response.headers


async def test_dev_mode_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    services = await bootstrap(Settings(data_dir=str(tmp_path)))
    try:
        server = HttpServer(services, host="0.0.0.0", port=0)
        with pytest.raises(ConfigError, match="loopback"):
            await server.serve()
    finally:
        await services.aclose()


def test_can_i_in_shared_mode_answers_for_the_bridge(http: httpx.Client) -> None:
    checks = [{"verb": "list", "group": "", "resource": "pods", "namespace": "payments"},
              {"verb": "delete", "group": "", "resource": "pods", "namespace": "payments"}]
    results = http.post("/api/clusters/prod/can-i", json={"checks": checks}).json()["results"]
    assert [(r["allowed"], r["reason"]) for r in results] == [(True, ""), (False, "denied")]
