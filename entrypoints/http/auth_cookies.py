"""The cookies of signing in: the session, its CSRF token, and the short-lived login state.

All are SameSite=Lax (the IdP's redirect back is a top-level GET, which Lax lets
through), on the configured domain, and Secure whenever the browser reached us over
TLS, directly or through a trusted proxy. The session cookie expires with the
session's absolute lifetime; only the CSRF cookie is readable by scripts.
"""

from __future__ import annotations

import time

from litestar.datastructures import Cookie

from periscope_core.domain.auth_config import SessionConfig
from periscope_core.services.sessions import LOGIN_COOKIE, ActiveSession, LoginStart
from periscope_entrypoints.http.csrf import csrf_cookie_name, csrf_token

__all__ = ["LOGIN_PATH", "cleared_login_cookie", "cleared_session_cookies", "login_cookie", "session_cookies"]

LOGIN_PATH = "/api/auth"
"""The login cookie is only needed by the callback, so it goes no further than the auth routes."""


def _cookie(config: SessionConfig, key: str, value: str, *, secure: bool, httponly: bool, expires: int) -> Cookie:
    """``expires`` counts seconds from now; 0 tells the browser to forget the cookie."""
    return Cookie(key=key, value=value, path="/", domain=config.cookieDomain or None, secure=secure or None,
                  httponly=httponly or None, samesite="lax", expires=expires, max_age=None if expires else 0)


def session_cookies(config: SessionConfig, active: ActiveSession, *, secure: bool) -> list[Cookie]:
    """The session cookie and its CSRF cookie, both expiring with the session."""
    expires = max(int(active.expires_at - time.time()), 0)
    return [
        _cookie(config, config.cookieName, active.session_id, secure=secure, httponly=True, expires=expires),
        _cookie(config, csrf_cookie_name(config.cookieName), csrf_token(active.session_id), secure=secure,
                httponly=False, expires=expires),
    ]


def cleared_session_cookies(config: SessionConfig, *, secure: bool) -> list[Cookie]:
    """Instructions to forget the session cookie and its CSRF cookie."""
    return [
        _cookie(config, name, "", secure=secure, httponly=httponly, expires=0)
        for name, httponly in ((config.cookieName, True), (csrf_cookie_name(config.cookieName), False))
    ]


def login_cookie(start: LoginStart, *, secure: bool) -> Cookie:
    return Cookie(key=LOGIN_COOKIE, value=start.login_cookie, path=LOGIN_PATH, max_age=start.max_age,
                  secure=secure or None, httponly=True, samesite="lax")


def cleared_login_cookie(*, secure: bool) -> Cookie:
    return Cookie(key=LOGIN_COOKIE, value="", path=LOGIN_PATH, max_age=0, expires=0, secure=secure or None,
                  httponly=True, samesite="lax")
