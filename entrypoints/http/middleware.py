"""Headers every response carries (a request id, the browser security policy), and the request id's reach.

The headers come from a ``before_send`` hook rather than a middleware: Litestar
runs it for every response, including routing errors and the OpenAPI document,
which route-level middleware never sees. HSTS is added only to responses the
browser received over TLS (directly or through a trusted proxy); over plain http
it would be ignored anyway.

The request id is bound for the whole request, so every apiserver call it causes
carries it as ``Audit-ID`` (``periscope_core.services.request_context``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, BeforeMessageSendHookHandler, Message, Receive, Scope, Send

from periscope_core.domain.auth_config import SessionConfig
from periscope_core.services.request_context import bind_request_id
from periscope_core.services.request_ids import time_ordered_id
from periscope_entrypoints.http.origin import is_secure

__all__ = ["HSTS", "SECURITY_HEADERS", "edge_headers", "request_id", "request_id_middleware"]

# The editor (Monaco) and the terminal (xterm.js) set styles from script, so styles, and only styles,
# may be inline; scripts and workers stay same-origin files.
_CSP = ("default-src 'self'; style-src 'self' 'unsafe-inline'; worker-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", _CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
)
HSTS = ("strict-transport-security", "max-age=31536000")
# An incoming id is echoed only if it cannot smuggle anything into headers or logs.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")


def request_id(scope: Scope) -> str:
    """The caller's ``X-Request-Id`` when it is well-formed, else a new time-ordered one; stable per request."""
    state: dict[str, Any] = scope.setdefault("state", {})
    if "request_id" not in state:
        incoming = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), b"")
        text = incoming.decode("latin-1")
        state["request_id"] = text if _SAFE_ID.match(text) else time_ordered_id()
    return str(state["request_id"])


def edge_headers(session: SessionConfig, *, identity_provider: str = "") -> BeforeMessageSendHookHandler:
    """The before-send callback adding the edge headers; ``session`` says which proxies to believe about TLS.

    ``identity_provider`` is the issuer URL: sign-out everywhere is a form post whose
    redirect ends at the provider, and browsers hold form redirects to ``form-action``.
    """
    fixed = SECURITY_HEADERS
    if origin := _origin(identity_provider):
        fixed = (("content-security-policy", f"{_CSP} {origin}"), *SECURITY_HEADERS[1:])

    async def add_edge_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in (*fixed, *((HSTS,) if is_secure(scope, session) else ())):
            if name not in headers:
                headers[name] = value
        headers["x-request-id"] = request_id(scope)

    return add_edge_headers


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Bind the request id while the request is served."""

    async def bound(scope: Scope, receive: Receive, send: Send) -> None:
        with bind_request_id(request_id(scope)):
            await app(scope, receive, send)

    return bound
