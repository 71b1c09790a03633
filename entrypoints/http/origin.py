"""Where the browser thinks it is, and whether a request came from there.

Behind a reverse proxy the socket says http and an internal host; the proxy's
``X-Forwarded-Proto`` and ``X-Forwarded-Host`` say what the browser used. Those
headers are believed only from a peer listed in the auth file's
``session.trustedProxies``: from anybody else they could pass a forged Origin check
or make the server set Secure cookies on a plain-http connection.
"""

from __future__ import annotations

from collections.abc import Sequence

from litestar.enums import ScopeType
from litestar.types import Scope

from periscope_core.domain.auth_config import SessionConfig
from periscope_entrypoints.http.ws_terminal import origin_allowed

__all__ = ["browser_origin", "header", "is_secure", "request_origin_allowed"]

_SAFE_FETCH_SITES = ("same-origin", "none")


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (``name`` in lower case), or None."""
    return next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == name), None)


def _forwarded(scope: Scope, name: bytes, session: SessionConfig) -> str:
    """A proxy's X-Forwarded-* value (its first hop), only when the peer is a trusted proxy."""
    client = scope.get("client")
    if not client or not session.trusts(client[0]):
        return ""
    value = header(scope, name) or ""
    return value.split(",", 1)[0].strip()


def is_secure(scope: Scope, session: SessionConfig) -> bool:
    """Whether the browser reached us over TLS (directly, or through a trusted proxy that says so)."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    return _forwarded(scope, b"x-forwarded-proto", session).lower() == "https"


def browser_origin(scope: Scope, session: SessionConfig) -> tuple[str, str]:
    """(scheme, host[:port]) as the browser used them."""
    host = _forwarded(scope, b"x-forwarded-host", session) or header(scope, b"host") or ""
    return ("https" if is_secure(scope, session) else "http"), host


def request_origin_allowed(scope: Scope, *, session: SessionConfig, allowed: Sequence[str] = ()) -> bool:
    """Whether a state-changing request or a WebSocket upgrade comes from the console's own pages.

    A browser names the page's origin in ``Origin`` (every WebSocket upgrade and every
    POST, PATCH or DELETE); it must be ours or match an ``allowed`` pattern
    (``PERISCOPE_DEV_ALLOW_ORIGINS``). Without an Origin, ``Sec-Fetch-Site`` must not say
    another site; a WebSocket upgrade carrying a cookie must name its origin.
    """
    origin = header(scope, b"origin")
    if origin is None:
        site = header(scope, b"sec-fetch-site")
        if site is not None and site.lower() not in _SAFE_FETCH_SITES:
            return False
        return scope["type"] != ScopeType.WEBSOCKET or header(scope, b"cookie") is None
    scheme, host = browser_origin(scope, session)
    return origin_allowed(origin, scheme=scheme, host=host, allowed=allowed)
