"""Cross-site request forgery: a session-bound token on every cookie-authenticated change (ADR 0009).

The session cookie is SameSite=Lax, HttpOnly and opaque. Next to it the server sets
a readable cookie holding a token derived from the session id; the console's pages
send it back in the ``X-CSRF-Token`` header (or, for a plain HTML form, the
``csrf_token`` field) on every POST, PUT, PATCH and DELETE. Another site can make a
browser send the cookies, but cannot read the token or set the header; and because
the token is derived from the session id rather than merely copied from a cookie, a
cookie planted from a sibling domain does not forge one either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs

from periscope_core.domain.errors import PeriscopeError

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "CSRF_HEADER_NAME",
    "MAX_FORM_BYTES",
    "SAFE_METHODS",
    "CsrfRejected",
    "csrf_cookie_name",
    "csrf_token",
    "form_token",
    "token_matches",
]

CSRF_HEADER_NAME = "X-CSRF-Token"
CSRF_HEADER = CSRF_HEADER_NAME.lower()
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MAX_FORM_BYTES = 8 << 10
"""A form read for its token is never larger than this (a sign-out form holds one field)."""


class CsrfRejected(PeriscopeError):
    code = "E_CSRF"
    http_status = 403


def csrf_cookie_name(session_cookie: str) -> str:
    """The readable cookie beside the session cookie ``session_cookie``."""
    return f"{session_cookie}_csrf"


def csrf_token(session_id: str) -> str:
    """The token for a session: a one-way function of its id (which it does not reveal)."""
    digest = hashlib.sha256(b"periscope csrf\x00" + session_id.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_matches(session_id: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(session_id).encode(), (presented or "").encode())


def form_token(body: bytes) -> str | None:
    """The ``csrf_token`` field of an url-encoded form body, if present."""
    try:
        values = parse_qs(body.decode("ascii"), max_num_fields=16).get(CSRF_FIELD)
    except (UnicodeDecodeError, ValueError):
        return None
    return values[0] if values else None
