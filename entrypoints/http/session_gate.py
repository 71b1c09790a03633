"""The session gate: who is calling, decided once per request before any handler runs.

Rules, in order, for every routed HTTP request and WebSocket upgrade:

1. A POST, PUT, PATCH or DELETE must come from the console's own pages: a foreign
   ``Origin`` (or ``Sec-Fetch-Site``) is refused, and one carrying the session cookie
   must also carry its CSRF token (ADR 0009). A WebSocket upgrade must name our
   origin too. A GET of a route that is not public may come from another site only as
   a top-level navigation, never from its scripts.
2. Under ``/api/`` a signed-in caller is required, except on routes whose handler
   ``opt`` says ``session: public`` (the sign-in routes) or ``session: optional``
   (sign-out, the RBAC pre-flight). Elsewhere (``/healthz``, the schema) nobody is,
   unless the handler's ``opt`` asks for a session (``/debug/streams``).
3. Dev mode signs everybody in as its one identity. OIDC mode resumes the session
   named by the cookie (refreshing it when due). Without one, an API call gets 401
   and the cookie is cleared; a browser navigation (GET accepting HTML) is sent to
   sign in and come back.

Impersonation is built here from the verified session and nothing else: a client's
own ``Impersonate-*`` headers never reach a cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import WebSocket
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPRequestEvent, Receive, ReceiveMessage, Scope, Send

from periscope_core.domain.audit import Actor, AuditEvent
from periscope_core.domain.errors import (
    IdentityProviderUnavailable,
    IdentityRejected,
    PeriscopeError,
    Unauthenticated,
)
from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.auth_cookies import cleared_session_cookies
from periscope_entrypoints.http.csrf import (
    CSRF_HEADER,
    MAX_FORM_BYTES,
    SAFE_METHODS,
    CsrfRejected,
    form_token,
    token_matches,
)
from periscope_entrypoints.http.deps import CALLER_STATE, Caller, caller_of
from periscope_entrypoints.http.middleware import request_id
from periscope_entrypoints.http.origin import header, is_secure, request_origin_allowed
from periscope_entrypoints.http.ws_terminal import OriginRejected, deny

__all__ = ["LOGIN_ROUTE", "SESSION_ID_STATE", "SESSION_OPT", "session_gate", "still_signed_in"]

SESSION_OPT = "session"
"""Handler ``opt`` key: ``public`` (nobody is resolved) or ``optional`` (anonymous callers get through)."""
LOGIN_ROUTE = "/api/auth/login"
SESSION_ID_STATE = "periscope.session_id"
"""Where the gate keeps the session id in the request scope, for ``still_signed_in``."""
_IDENTITY_ERRORS = (Unauthenticated, IdentityRejected, IdentityProviderUnavailable)
_FORM = "application/x-www-form-urlencoded"


def _policy(scope: Scope) -> str:
    handler = scope.get("route_handler")
    opt: dict[str, Any] = getattr(handler, "opt", None) or {}
    return str(opt.get(SESSION_OPT, "required" if scope["path"].startswith("/api/") else "public"))


async def _replayed(receive: Receive, limit: int) -> tuple[bytes, Receive] | None:
    """Read a small body and give back a ``receive`` that hands it over again; None when too large."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False)
        if size > limit:
            return None
    body, sent = b"".join(chunks), False

    async def again() -> ReceiveMessage:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        replayed: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
        return replayed

    return body, again


class _Gate:
    def __init__(self, services: Services, app: ASGIApp) -> None:
        self._identity = services.identity
        self._audit = services.audit
        self._session = services.identity.config.session
        self._allowed = services.settings.dev_allow_origins
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cookie = self._cookie(scope)
        try:
            receive = await self._check_forgery(scope, receive, cookie)
            caller = await self._resolve(scope, cookie, _policy(scope))
        except PeriscopeError as exc:
            if isinstance(exc, OriginRejected):
                await self._audit_hijack_attempt(scope, cookie)
            await self._refuse(scope, receive, send, exc, had_cookie=cookie is not None)
            return
        if caller is not None:
            scope.setdefault("state", {})[CALLER_STATE] = caller
        await self._app(scope, receive, send)

    def _cookie(self, scope: Scope) -> str | None:
        """The session cookie's value (oidc mode only: dev mode authenticates nobody by cookie)."""
        if self._identity.mode != "oidc":
            return None
        return ASGIConnection[Any, Any, Any, Any](scope).cookies.get(self._session.cookieName) or None

    async def _check_forgery(self, scope: Scope, receive: Receive, cookie: str | None) -> Receive:
        if scope["type"] == ScopeType.WEBSOCKET:
            if not request_origin_allowed(scope, session=self._session, allowed=self._allowed):
                raise OriginRejected
            return receive
        if scope["method"] in SAFE_METHODS:
            # Another site may send the browser here (a link, the identity provider's redirect), but
            # its scripts may not call the API: reads open upstream watches and write log_open rows.
            if _policy(scope) == "public" or (header(scope, b"sec-fetch-mode") or "").lower() == "navigate":
                return receive
            if not request_origin_allowed(scope, session=self._session, allowed=self._allowed):
                raise CsrfRejected("cross-site reads are refused: use the console's own pages")
            return receive
        if not request_origin_allowed(scope, session=self._session, allowed=self._allowed):
            raise CsrfRejected("cross-site requests are refused: use the console's own pages")
        if cookie is None:
            return receive
        presented = header(scope, CSRF_HEADER.encode())
        if presented is None and (header(scope, b"content-type") or "").split(";")[0].strip().lower() == _FORM:
            replay = await _replayed(receive, MAX_FORM_BYTES)
            if replay is not None:
                body, receive = replay
                presented = form_token(body)
        if not token_matches(cookie, presented):
            raise CsrfRejected("this change needs the session's CSRF token in the X-CSRF-Token header")
        return receive

    async def _audit_hijack_attempt(self, scope: Scope, cookie: str | None) -> None:
        """A refused cross-site upgrade, in the name of the person whose browser was used when known."""
        try:
            caller = await self._resolve(scope, cookie, "optional")
        except PeriscopeError:
            caller = None
        actor = Actor.of(caller.principal) if caller else Actor(sub="anonymous")
        self._audit.emit(AuditEvent(
            timestamp=self._audit.now(), request_id=request_id(scope), route="websocket", actor=actor,
            verb="ws_origin_rejected", outcome="denied", reason="cross-origin WebSocket upgrade refused",
            extra={"origin": header(scope, b"origin") or "", "path": str(scope.get("path", ""))},
        ))  # fmt: skip

    async def _resolve(self, scope: Scope, cookie: str | None, policy: str) -> Caller | None:
        if policy == "public":
            return None
        if self._identity.mode == "dev":
            principal, as_ = self._identity.dev_caller
            return Caller(principal=principal, as_=as_)
        try:
            active = await self._identity.sessions.resume(cookie)
        except _IDENTITY_ERRORS:
            if policy == "optional":
                return None
            raise
        scope.setdefault("state", {})[SESSION_ID_STATE] = active.session_id
        return Caller(principal=active.principal, as_=active.impersonation, expires_at=active.expires_at)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: PeriscopeError, *,
                      had_cookie: bool) -> None:  # fmt: skip
        if scope["type"] == ScopeType.WEBSOCKET:
            await deny(WebSocket[Any, Any, Any](scope, receive, send), error)
            return
        signed_out = isinstance(error, Unauthenticated)
        headers: list[tuple[bytes, bytes]] = [(b"cache-control", b"no-store")]
        if had_cookie and isinstance(error, Unauthenticated | IdentityRejected):  # the session is gone
            secure = is_secure(scope, self._session)
            headers += [c.to_encoded_header() for c in cleared_session_cookies(self._session, secure=secure)]
        if signed_out and scope["method"] == "GET" and "text/html" in (header(scope, b"accept") or ""):
            query = scope.get("query_string", b"").decode("latin-1")
            target = scope["path"] + (f"?{query}" if query else "")
            location = f"{LOGIN_ROUTE}?next={quote(target, safe='')}"
            await _send(send, 302, [*headers, (b"location", location.encode("latin-1"))], b"")
            return
        if signed_out:
            headers.append((b"www-authenticate", b'Cookie realm="periscope"'))
        body = msgspec.json.encode(error.body())
        await _send(send, error.http_status, [*headers, (b"content-type", b"application/json")], body)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def session_gate(services: Services) -> Callable[[ASGIApp], ASGIApp]:
    """The gate as Litestar middleware over ``services``."""

    def middleware(app: ASGIApp) -> ASGIApp:
        return _Gate(services, app)

    return middleware


async def still_signed_in(services: Services, scope: Scope) -> bool:
    """Whether the caller of a long-lived stream is still signed in; call it about once a minute.

    Resumes the session again (refreshing it when due), so a sign-out, a revocation at
    the identity provider or a timeout ends the stream. An unreachable identity
    provider keeps it going, as it keeps a session that is not yet due.
    """
    if services.identity.mode == "dev":
        return caller_of(scope) is not None
    session_id = scope.get("state", {}).get(SESSION_ID_STATE)
    if not isinstance(session_id, str):
        return False
    try:
        await services.identity.sessions.resume(session_id)
    except IdentityProviderUnavailable:
        return True
    except (Unauthenticated, IdentityRejected):
        return False
    return True
