"""A real OpenID provider on loopback (oidc-provider-mock), plus a hand-rolled issuer for forged tokens."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import werkzeug.serving

with warnings.catch_warnings():
    import authlib.deprecate  # noqa: F401 - it installs an "always" filter; silence its warnings after it

    warnings.simplefilter("ignore", DeprecationWarning)
    import flask
    import oidc_provider_mock
    from authlib import jose


@dataclass
class Idp:
    """oidc-provider-mock on a thread; users can be changed and the signing key rotated while it runs."""

    issuer: str
    hits: dict[str, int] = field(default_factory=dict)

    def put_user(self, sub: str, claims: Mapping[str, Any]) -> None:
        httpx.put(f"{self.issuer}/users/{sub}", json=dict(claims)).raise_for_status()

    def revoke_tokens(self, sub: str) -> None:
        httpx.post(f"{self.issuer}/users/{sub}/revoke-tokens").raise_for_status()

    def rotate_key(self) -> None:
        httpx.post(f"{self.issuer}/test/rotate-key").raise_for_status()


def _app(users: Mapping[str, Mapping[str, Any]], hits: dict[str, int]) -> flask.Flask:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = oidc_provider_mock.app(
            user_claims=[oidc_provider_mock.User(sub=sub, claims=dict(claims)) for sub, claims in users.items()]
        )

    @app.before_request
    def count() -> None:
        hits[flask.request.path] = hits.get(flask.request.path, 0) + 1

    @app.post("/test/rotate-key")
    def rotate_key() -> tuple[str, int]:
        flask.g.oidc_provider_mock_storage.jwk = jose.RSAKey.generate_key(is_private=True)
        return "", 204

    return app


@contextmanager
def run_idp(users: Mapping[str, Mapping[str, Any]]) -> Iterator[Idp]:
    hits: dict[str, int] = {}
    server = werkzeug.serving.make_server("localhost", 0, _app(users, hits), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Idp(issuer=f"http://localhost:{server.server_port}", hits=hits)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)


async def authorize(url: str, *, sub: str, deny: bool = False) -> dict[str, str]:
    """Sign in at the provider's authorize endpoint as ``sub``; the redirect's query parameters."""
    form = {"action": "deny"} if deny else {"sub": sub}
    async with httpx.AsyncClient() as client:
        response = await client.post(url, data=form)
    assert response.status_code == 302, response.text
    return dict(parse_qsl(urlsplit(response.headers["location"]).query))


class _Issuer(BaseHTTPRequestHandler):
    server: IssuerServer

    def do_GET(self) -> None:
        documents = {"/.well-known/openid-configuration": self.server.discovery, "/jwks": self.server.jwks}
        self.server.hits[self.path] = self.server.hits.get(self.path, 0) + 1
        body = json.dumps(documents[self.path]).encode() if self.path in documents else b"{}"
        self.send_response(200 if self.path in documents else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class IssuerServer(ThreadingHTTPServer):
    """Discovery and a JWKS the test controls, for tokens the test signs itself."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Issuer)
        self.issuer = f"http://127.0.0.1:{self.server_port}"
        self.hits: dict[str, int] = {}
        self.jwks: dict[str, Any] = {"keys": []}
        self.discovery: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "id_token_signing_alg_values_supported": ["RS256", "ES256", "HS256", "none"],
        }

    @property
    def jwks_fetches(self) -> int:
        return self.hits.get("/jwks", 0)


@contextmanager
def run_issuer() -> Iterator[IssuerServer]:
    server = IssuerServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)
