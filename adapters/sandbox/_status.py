"""metav1.Status bodies and the exception that carries one.

Messages are copied from kube-apiserver (k8s.io/apimachinery/pkg/api/errors) so clients
that match on them, kubectl included, behave as against a real cluster.
"""

from __future__ import annotations

from typing import Any

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Gone",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def status(
    code: int, message: str, *, reason: str | None = None, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A Failure Status as the apiserver encodes it."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason if reason is not None else _REASONS.get(code, ""),
        "details": details if details is not None else {},
        "code": code,
    }
    if not body["details"]:
        # The real server omits empty details except on 404s of unknown paths.
        del body["details"]
    return body


def qualified(group: str, plural: str) -> str:
    """`pods` or `deployments.apps`: how the apiserver names a resource in messages."""
    return f"{plural}.{group}" if group else plural


def _details(group: str, plural: str, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = plural
    return details


class ApiError(Exception):
    """Raised anywhere in the engine; the body is sent as is with its code."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.body = body

    @property
    def code(self) -> int:
        return int(self.body["code"])


def not_found(group: str, plural: str, name: str) -> ApiError:
    return ApiError(status(404, f'{qualified(group, plural)} "{name}" not found',
                           details=_details(group, plural, name)))


def already_exists(group: str, plural: str, name: str) -> ApiError:
    return ApiError(status(409, f'{qualified(group, plural)} "{name}" already exists',
                           reason="AlreadyExists", details=_details(group, plural, name)))


def conflict(group: str, plural: str, name: str, why: str) -> ApiError:
    message = f'Operation cannot be fulfilled on {qualified(group, plural)} "{name}": {why}'
    return ApiError(status(409, message, details=_details(group, plural, name)))


MODIFIED = "the object has been modified; please apply your changes to the latest version and try again"


def bad_request(message: str) -> ApiError:
    return ApiError(status(400, message))


def forbidden(group: str, plural: str, name: str, why: str) -> ApiError:
    message = f'{qualified(group, plural)} "{name}" is forbidden: {why}'
    return ApiError(status(403, message, details=_details(group, plural, name)))


class Cause:
    """One `details.causes` entry of an Invalid Status."""

    __slots__ = ("field", "message", "reason")

    def __init__(self, reason: str, field: str, message: str) -> None:
        self.reason = reason
        self.field = field
        self.message = message

    @classmethod
    def invalid(cls, field: str, value: object, detail: str) -> Cause:
        return cls("FieldValueInvalid", field, f"Invalid value: {_go_quote(value)}: {detail}")

    @classmethod
    def required(cls, field: str, detail: str) -> Cause:
        return cls("FieldValueRequired", field, f"Required value: {detail}")

    @classmethod
    def forbidden(cls, field: str, detail: str) -> Cause:
        return cls("FieldValueForbidden", field, f"Forbidden: {detail}")


def _go_quote(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def invalid(kind: str, name: str, causes: list[Cause], *, group: str = "") -> ApiError:
    """422 `Kind "name" is invalid: field: message, ...` with one cause per problem."""
    summary = ", ".join(f"{c.field}: {c.message}" for c in causes)
    if len(causes) > 1:
        summary = "[" + summary + "]"
    qualified_kind = f"{kind}.{group}" if group else kind
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [{"reason": c.reason, "message": c.message, "field": c.field} for c in causes]
    return ApiError(status(422, f'{qualified_kind} "{name}" is invalid: {summary}', details=details))


def method_not_allowed() -> ApiError:
    return ApiError(status(405, "the server does not allow this method on the requested resource"))


def unsupported_media_type(content_type: str, accepted: list[str]) -> ApiError:
    del content_type  # the real message lists what is accepted, not what was sent
    message = "the body of the request was in an unknown format - accepted media types include: "
    return ApiError(status(415, message + ", ".join(accepted)))


def path_not_found() -> ApiError:
    return ApiError(status(404, "the server could not find the requested resource", details={}))


def expired(message: str, *, continue_token: str = "") -> ApiError:
    body = status(410, message, reason="Expired")
    if continue_token:
        body["metadata"] = {"continue": continue_token}
    return ApiError(body)


def success(*, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Success Status most deletes answer with instead of the object (no code, as the real one)."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details is not None:
        body["details"] = details
    return body
