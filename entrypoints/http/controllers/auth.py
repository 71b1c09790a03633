"""Signing in and out (OIDC code flow, backend-for-frontend), and who the caller is.

The browser never sees a token: it holds an opaque session cookie, a readable CSRF
token beside it, and during sign-in a sealed login cookie the callback clears
whatever happens. In dev mode the sign-in routes only redirect.

Signing in and out is audited: ``login``, ``logout``, and ``login_denied`` (outcome
``denied``) when the identity provider or the auth file's rules refuse the person.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_204_NO_CONTENT, HTTP_302_FOUND

from periscope_core.domain.audit import Actor as AuditActor
from periscope_core.domain.audit import AuditEvent, ImpersonatedAs, Outcome, Verb
from periscope_core.domain.authz import Actor, PublicAuthConfig, WhoAmI, actor, public_config, whoami
from periscope_core.domain.errors import PeriscopeError
from periscope_core.domain.identity import Impersonation, Principal
from periscope_core.services.sessions import LOGIN_COOKIE, safe_return_path
from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.auth_cookies import (
    cleared_login_cookie,
    cleared_session_cookies,
    login_cookie,
    session_cookies,
)
from periscope_entrypoints.http.csrf import CSRF_HEADER_NAME, csrf_cookie_name
from periscope_entrypoints.http.deps import caller_of
from periscope_entrypoints.http.middleware import request_id
from periscope_entrypoints.http.origin import is_secure
from periscope_entrypoints.http.params import CallerDep, ServicesDep
from periscope_entrypoints.http.session_gate import SESSION_OPT

__all__ = ["ActorController", "AuthController"]

LOGGED_OUT = "/api/auth/loggedout"
_PUBLIC = {SESSION_OPT: "public"}
_OPTIONAL = {SESSION_OPT: "optional"}
_NO_CACHE = {"Cache-Control": "no-cache"}
_NO_STORE = {"Cache-Control": "no-store"}
_LOGGED_OUT_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Signed out - Periscope</title></head>
<body>
<h1>You are signed out of Periscope</h1>
<p><a href="/api/auth/login">Sign in again</a></p>
</body>
</html>
"""

Next = Annotated[str | None, QueryParameter(name="next", description="Where to land after sign-in (same origin).")]
AnyRequest = Request[Any, Any, Any]


def _secure(services: Services, request: AnyRequest) -> bool:
    return is_secure(request.scope, services.identity.config.session)


def _session_cookie(services: Services, request: AnyRequest) -> str | None:
    return request.cookies.get(services.identity.config.session.cookieName)


def _audit(
    services: Services,
    request: AnyRequest,
    *,
    verb: Verb,
    outcome: Outcome = "success",
    who: tuple[Principal, Impersonation] | None = None,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    """One sign-in or sign-out row; ``who`` is unknown for a refused sign-in."""
    operation = request.route_handler.operation_id
    services.audit.emit(AuditEvent(
        timestamp=services.audit.now(), request_id=request_id(request.scope),
        route=operation if isinstance(operation, str) else "",
        actor=AuditActor.of(who[0]) if who else AuditActor(sub=""),
        impersonated=ImpersonatedAs.of(who[1]) if who else ImpersonatedAs(),
        verb=verb, outcome=outcome, reason=reason, extra=extra or {},
    ))  # fmt: skip


def _signed_in(request: AnyRequest) -> tuple[Principal, Impersonation] | None:
    caller = caller_of(request.scope)
    return (caller.principal, caller.as_) if caller else None


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @get("/config", operation_id="getAuthConfig", opt=_PUBLIC)
    async def config(self, services: ServicesDep) -> Response[PublicAuthConfig]:
        """How this server signs people in, readable before sign-in.

        Args:
            services: The application services.

        Returns:
            ``authMode`` (oidc or dev), the provider's label, ``devBanner`` in dev mode; with OIDC
            the CSRF cookie's name (``csrfCookie``) and the header to send its value in (``csrfHeader``).
        """
        identity = services.identity
        config = public_config(identity.config, mode=identity.mode, csrf_header=CSRF_HEADER_NAME,
                               csrf_cookie=csrf_cookie_name(identity.config.session.cookieName))  # fmt: skip
        return Response(config, headers=_NO_CACHE)

    @get("/login", operation_id="login", opt=_PUBLIC, status_code=HTTP_302_FOUND)
    async def login(self, request: AnyRequest, services: ServicesDep, next_: Next = None) -> Redirect:
        """Start signing in: off to the identity provider (in dev mode, straight back).

        Args:
            request: The request (TLS or not decides the cookie's Secure flag).
            services: The application services.
            next_: A same-origin path to return to; anything else lands on ``/``.

        Returns:
            302 to the provider's authorize URL, with the sealed login cookie.
        """
        identity = services.identity
        if identity.mode == "dev":
            return Redirect(safe_return_path(next_), headers=_NO_STORE)
        start = identity.sessions.begin_login(return_to=next_)
        cookie = login_cookie(start, secure=_secure(services, request))
        return Redirect(start.authorize_url, cookies=[cookie], headers=_NO_STORE)

    @get("/callback", operation_id="completeLogin", opt=_PUBLIC, status_code=HTTP_302_FOUND)
    async def callback(self, request: AnyRequest, services: ServicesDep) -> Response[Any]:
        """The identity provider's redirect back: verify, open a session, set its cookies.

        Args:
            request: The request, with the provider's ``code`` and ``state`` and the login cookie.
            services: The application services.

        Returns:
            302 to the return path; 400 (bad or stale state, provider error), 401 (code or
            token refused), 403 (not in an allowed group, unusable identity) or 502 (provider
            unreachable). The login cookie is cleared in every case.
        """
        identity, secure = services.identity, _secure(services, request)
        cleared = cleared_login_cookie(secure=secure)
        if identity.mode == "dev":
            return Redirect("/", cookies=[cleared], headers=_NO_STORE)
        params = {key: values[0] for key, values in request.query_params.dict().items() if values}
        try:
            result = await identity.sessions.complete_login(login_cookie=request.cookies.get(LOGIN_COOKIE),
                                                            params=params)
        except PeriscopeError as exc:
            # Refused people are login_denied; a broken flow (stale state, provider down) is a failed login.
            refused = exc.http_status in (401, 403)
            _audit(services, request, verb="login_denied" if refused else "login",
                   outcome="denied" if refused else "failure", reason=exc.message, extra={"error": exc.code})
            return Response(exc.body(), status_code=exc.http_status, media_type=MediaType.JSON, cookies=[cleared],
                            headers=_NO_STORE)
        _audit(services, request, verb="login", who=(result.session.principal, result.session.impersonation))
        cookies = [cleared, *session_cookies(identity.config.session, result.session, secure=secure)]
        return Redirect(result.return_to, cookies=cookies, headers=_NO_STORE)

    @get("/whoami", operation_id="whoAmI")
    async def whoami(self, services: ServicesDep, caller: CallerDep) -> Response[WhoAmI]:
        """The signed-in person, their groups, and what the console does with them.

        Args:
            services: The application services.
            caller: Who is asking.

        Returns:
            Subject, email, groups, sign-in and authorization modes, tier, audit scope and
            the session's absolute expiry (0 in dev mode).
        """
        identity = services.identity
        body = whoami(caller.principal, identity.config.authorization, mode=identity.mode,
                      audit_enabled=services.settings.audit.enabled, expires_at=caller.expires_at)
        return Response(body, headers=_NO_STORE)

    @get("/loggedout", operation_id="loggedOut", opt=_PUBLIC, media_type=MediaType.HTML)
    async def logged_out(self) -> str:
        """The page the browser lands on after signing out.

        Returns:
            A small HTML page with a link to sign in again.
        """
        return _LOGGED_OUT_PAGE

    @post("/logout", operation_id="logout", opt=_OPTIONAL, status_code=HTTP_204_NO_CONTENT)
    async def logout(self, request: AnyRequest, services: ServicesDep) -> Response[None]:
        """End this browser's session (CSRF-protected).

        Args:
            request: The request, with the session cookie.
            services: The application services.

        Returns:
            204, with the session cookies cleared.
        """
        identity, who = services.identity, _signed_in(request)
        if identity.mode == "oidc":
            await identity.sessions.logout(_session_cookie(services, request))
        if who is not None:
            _audit(services, request, verb="logout", who=who)
        cookies = cleared_session_cookies(identity.config.session, secure=_secure(services, request))
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=cookies)

    @post("/logout/everywhere", operation_id="logoutEverywhere", opt=_OPTIONAL, status_code=HTTP_302_FOUND)
    async def logout_everywhere(self, request: AnyRequest, services: ServicesDep) -> Redirect:
        """End every session of this person, in every browser and replica (CSRF-protected).

        Args:
            request: The request, with the session cookie.
            services: The application services.

        Returns:
            302 to the identity provider's sign-out page, or to the signed-out page.
        """
        identity, target, who = services.identity, LOGGED_OUT, _signed_in(request)
        ended = 0
        if identity.mode == "oidc":
            result = await identity.sessions.logout_everywhere(_session_cookie(services, request))
            target, ended = result.end_session_url or LOGGED_OUT, result.ended
        if who is not None:
            _audit(services, request, verb="logout", who=who, extra={"everywhere": True, "sessionsEnded": ended})
        cookies = cleared_session_cookies(identity.config.session, secure=_secure(services, request))
        return Redirect(target, status_code=HTTP_302_FOUND, cookies=cookies, headers=_NO_STORE)


class ActorController(Controller):
    path = "/api/whoami"
    tags = ["auth"]

    @get("/", operation_id="getActor")
    async def actor(self, services: ServicesDep, caller: CallerDep) -> Actor:
        """Who the audit log names for this caller, and which audit rows they may see.

        Args:
            services: The application services.
            caller: Who is asking.

        Returns:
            The actor (the subject), the authorization mode, tier and audit scope.
        """
        return actor(caller.principal, services.identity.config.authorization,
                     audit_enabled=services.settings.audit.enabled)
