"""Real peers for the sign-in tests: an OpenID provider on loopback, consoles in OIDC mode, a browser.

The provider is oidc-provider-mock (a real authlib-based provider) on a werkzeug
thread. Consoles are the real app on uvicorn, started from a blocking portal with an
auth file written to disk, so they go through the same composition root as
``periscope serve``. The browser is an httpx client that keeps cookies and follows
redirects by hand, so each hop can be checked.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import werkzeug.serving
import yaml
from anyio.from_thread import BlockingPortal

from periscope_entrypoints.bootstrap import Services, Settings, bootstrap
from periscope_entrypoints.http.server import HttpServer

with warnings.catch_warnings():
    import authlib.deprecate  # noqa: F401 - it installs an "always" filter; silence its warnings after it

    warnings.simplefilter("ignore", DeprecationWarning)
    import flask
    import oidc_provider_mock
    from authlib import jose

REDIRECT = "http://periscope.test/api/auth/callback"
"""Never fetched: the browser below takes the provider's redirect and calls the console itself."""
LOGGED_OUT = "http://periscope.test/api/auth/loggedout"
COOKIE = "periscope_session"
CSRF_COOKIE = f"{COOKIE}_csrf"


@dataclass
class Idp:
    issuer: str

    def put_user(self, sub: str, claims: Mapping[str, Any]) -> None:
        httpx.put(f"{self.issuer}/users/{sub}", json=dict(claims)).raise_for_status()

    def rotate_key(self) -> None:
        httpx.post(f"{self.issuer}/test/rotate-key").raise_for_status()


@contextmanager
def run_idp(users: Mapping[str, Mapping[str, Any]], **options: Any) -> Iterator[Idp]:
    """oidc-provider-mock with ``users``; ``options`` go to ``oidc_provider_mock.app``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = oidc_provider_mock.app(
            user_claims=[oidc_provider_mock.User(sub=sub, claims=dict(claims)) for sub, claims in users.items()],
            **options,
        )

    @app.post("/test/rotate-key")
    def rotate_key() -> tuple[str, int]:
        flask.g.oidc_provider_mock_storage.jwk = jose.RSAKey.generate_key(is_private=True)
        return "", 204

    server = werkzeug.serving.make_server("localhost", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Idp(issuer=f"http://localhost:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)


def auth_file(path: Path, idp: Idp, **sections: Mapping[str, Any]) -> Path:
    """Write an auth file for ``idp``; ``sections`` (session, authorization) are added as given."""
    secret = path.with_name("client-secret")
    secret.write_text("s3cret\n")
    document: dict[str, Any] = {
        "oidc": {"issuer": idp.issuer, "clientID": "periscope", "clientSecret": f"file://{secret}",
                 "redirectURL": REDIRECT, "postLogoutRedirect": LOGGED_OUT},
        **{name: dict(values) for name, values in sections.items()},
    }
    path.write_text(yaml.safe_dump(document))
    return path


@dataclass
class Running:
    url: str
    services: Services
    server: HttpServer
    future: Any


@dataclass
class Consoles:
    """Starts and stops consoles on one portal (one event loop in its own thread)."""

    portal: BlockingPortal
    running: list[Running] = field(default_factory=list)

    def start(self, settings: Settings) -> Running:
        services = self.portal.call(bootstrap, settings)
        server = HttpServer(services, host="127.0.0.1", port=0)
        future, url = self.portal.start_task(server.serve)
        console = Running(url=url, services=services, server=server, future=future)
        self.running.append(console)
        return console

    def stop(self, console: Running) -> None:
        console.server.stop()
        console.future.result(timeout=20)
        self.portal.call(console.services.aclose)
        self.running.remove(console)

    def stop_all(self) -> None:
        for console in list(self.running):
            self.stop(console)


def with_query(url: str, **changes: str) -> str:
    """``url`` with some query parameters replaced."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


class Browser:
    """A browser on one console: cookies kept, redirects taken one hop at a time."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=20, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def start_login(self, next_: str | None = None) -> str:
        """The provider's authorize URL the console sent the browser to."""
        response = self.http.get("/api/auth/login", params={"next": next_} if next_ is not None else None)
        assert response.status_code == 302, response.text
        return response.headers["location"]

    @staticmethod
    def authorize(authorize_url: str, sub: str) -> dict[str, str]:
        """Sign in at the provider as ``sub``; the query parameters it redirects back with."""
        response = httpx.post(authorize_url, data={"sub": sub}, timeout=20)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith(REDIRECT), location
        return query_of(location)

    def callback(self, params: Mapping[str, str]) -> httpx.Response:
        return self.http.get("/api/auth/callback", params=dict(params))

    def sign_in(self, sub: str, next_: str | None = None) -> httpx.Response:
        """The whole code flow; the callback's response."""
        return self.callback(self.authorize(self.start_login(next_), sub))

    @property
    def csrf(self) -> str:
        return self.http.cookies.get(CSRF_COOKIE) or ""

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """A POST as the console's own pages send it: same Origin, CSRF header."""
        headers = {"Origin": str(self.http.base_url).rstrip("/"), "X-CSRF-Token": self.csrf,
                   **kwargs.pop("headers", {})}
        return self.http.post(path, headers=headers, **kwargs)

    def whoami(self) -> httpx.Response:
        return self.http.get("/api/auth/whoami")
