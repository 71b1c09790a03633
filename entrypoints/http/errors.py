"""Errors become JSON at the edge: ``{"error": "E_...", "message": ...}`` with the right status.

Core errors carry their own code and status; Litestar's routing and validation
errors are mapped to the same shape so no caller ever parses an HTML or plain-text
error page.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from periscope_core.domain.errors import PeriscopeError

__all__ = ["EXCEPTION_HANDLERS"]

_log = logging.getLogger("periscope.http")

_HTTP_CODES = {
    400: "E_INVALID_REQUEST",
    401: "E_UNAUTHORIZED",
    403: "E_FORBIDDEN",
    404: "E_NOT_FOUND",
    405: "E_METHOD_NOT_ALLOWED",
    413: "E_TOO_LARGE",
    429: "E_TOO_MANY_REQUESTS",
}


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def periscope_error(_: Request[Any, Any, Any], exc: PeriscopeError) -> Response[Any]:
    return _json(exc.body(), exc.http_status)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, NotFoundException) and exc.detail in ("", "Not Found"):
        message = f"no route for {request.method} {request.url.path}"
    elif isinstance(exc, MethodNotAllowedException):
        message = f"{request.method} is not allowed on {request.url.path}"
    elif isinstance(exc, ValidationException) and isinstance(exc.extra, list) and exc.extra:
        message = "; ".join(_validation_message(item) for item in exc.extra)
    else:
        message = exc.detail
    code = _HTTP_CODES.get(status, "E_INTERNAL" if status >= 500 else "E_INVALID_REQUEST")
    return _json({"error": code, "message": message}, status, exc.headers)


def _validation_message(item: Any) -> str:
    if isinstance(item, dict):
        key, text = item.get("key"), item.get("message", "invalid value")
        return f"{key}: {text}" if key else str(text)
    return str(item)


def too_deeply_nested(_: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    # Parsers (JSON bodies, YAML manifests) recurse per nesting level, so a small body nested
    # deeply enough exhausts the stack: the client's input is at fault, not the server.
    return _json({"error": "E_INVALID_REQUEST", "message": "the request body is nested too deeply"}, 400)


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # The traceback goes to the log; the client gets a code and nothing internal.
    _log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    body = {"error": "E_INTERNAL", "message": "internal error"}
    return _json(body, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    PeriscopeError: periscope_error,
    HTTPException: http_error,
    RecursionError: too_deeply_nested,
    Exception: internal_error,
}
