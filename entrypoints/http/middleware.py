"""Headers every response carries: a request id, and the browser security policy.

A ``before_send`` hook rather than a middleware: Litestar runs it for every
response, including routing errors and the OpenAPI document, which route-level
middleware never sees.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

__all__ = ["SECURITY_HEADERS", "add_edge_headers", "request_id"]

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
)
# An incoming id is echoed only if it cannot smuggle anything into headers or logs.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")


def request_id(scope: Scope) -> str:
    """The caller's ``X-Request-Id`` when it is well-formed, else a new one; stable per request."""
    state: dict[str, Any] = scope.setdefault("state", {})
    if "request_id" not in state:
        incoming = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), b"")
        text = incoming.decode("latin-1")
        state["request_id"] = text if _SAFE_ID.match(text) else uuid.uuid4().hex
    return str(state["request_id"])


async def add_edge_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS:
        if name not in headers:
            headers[name] = value
    headers["x-request-id"] = request_id(scope)
