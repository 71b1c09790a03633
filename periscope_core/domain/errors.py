"""The errors Periscope raises, and the Kubernetes Status they carry.

Every error has a stable machine-readable ``code`` (the ``{"error": "E_..."}`` body
the HTTP edge writes) and an ``http_status`` hint. Adapters translate foreign
exceptions into these at their boundary and chain the original with ``from exc``,
so nothing from a client library reaches the core.

    PeriscopeError                      E_INTERNAL        500
    ├── ConfigError                     E_CONFIG          400  (lists every problem)
    ├── InvalidRequest                  E_INVALID_REQUEST 400
    ├── ClusterNotFound                 E_CLUSTER_NOT_FOUND 404
    ├── UnknownKind                     E_UNKNOWN_KIND    404
    ├── ClusterUnreachable              E_CLUSTER_UNREACHABLE 502
    ├── UpstreamTimeout                 E_TIMEOUT         504
    ├── Unauthenticated                 E_UNAUTHENTICATED 401  (no session, or it ended; ``.reason`` says why)
    ├── LoginFailed                     E_LOGIN_FAILED    400  (callback: state, expired login, IdP error)
    ├── TokenRejected                   E_TOKEN_REJECTED  401  (an IdP token or code failed verification)
    ├── IdentityProviderUnavailable     E_IDP_UNAVAILABLE 502
    ├── GroupNotAllowed                 E_GROUP_DENIED    403  (not in ``allowedGroups``)
    ├── IdentityRejected                E_IDENTITY_REJECTED 403  (claims unsafe to impersonate)
    ├── SecretUnresolvable              E_SECRET          500
    ├── StreamDisabled                  E_STREAM_DISABLED 404  (PERISCOPE_WATCH_STREAMS leaves the kind out)
    ├── StreamLimitReached              E_TOO_MANY_STREAMS 429 (the per-user cap; ``limit`` in the body)
    ├── ShuttingDown                    E_SHUTTING_DOWN   503  (no new streams while the server stops)
    └── ApiError                        E_UPSTREAM        502  (carries the apiserver's Status)
        ├── BadRequest                  E_BAD_REQUEST     400
        ├── Unauthorized                E_UNAUTHORIZED    401
        ├── Forbidden                   E_FORBIDDEN       403
        ├── NotFound                    E_NOT_FOUND       404
        ├── Conflict                    E_CONFLICT        409
        ├── Gone                        E_GONE            410  (resourceVersion too old)
        ├── Invalid                     E_INVALID         422
        └── TooManyRequests             E_TOO_MANY_REQUESTS 429
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec


class StatusCause(msgspec.Struct, omit_defaults=True):
    reason: str = ""
    message: str = ""
    field: str = ""


class StatusDetails(msgspec.Struct, omit_defaults=True):
    name: str = ""
    group: str = ""
    kind: str = ""
    uid: str = ""
    causes: list[StatusCause] = []
    retryAfterSeconds: int = 0


class Status(msgspec.Struct, omit_defaults=True):
    """A ``meta/v1 Status`` as the apiserver writes it."""

    kind: str = "Status"
    apiVersion: str = "v1"
    status: str = "Failure"
    message: str = ""
    reason: str = ""
    details: StatusDetails | None = None
    code: int = 0

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = msgspec.to_builtins(self)
        return result


class PeriscopeError(Exception):
    code: ClassVar[str] = "E_INTERNAL"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON error body the edge answers with."""
        return {"error": self.code, "message": self.message}


class ConfigProblem(msgspec.Struct, frozen=True):
    """One thing wrong in a configuration file, located precisely."""

    file: str
    message: str
    entry: str = ""
    field: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.entry:
            where += f": {self.entry}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


class ConfigError(PeriscopeError):
    code = "E_CONFIG"
    http_status = 400

    def __init__(self, problems: list[ConfigProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems

    def body(self) -> dict[str, Any]:
        return {**super().body(), "problems": [str(p) for p in self.problems]}


class InvalidRequest(PeriscopeError):
    code = "E_INVALID_REQUEST"
    http_status = 400


class ClusterNotFound(PeriscopeError):
    code = "E_CLUSTER_NOT_FOUND"
    http_status = 404

    def __init__(self, name: str) -> None:
        super().__init__(f"cluster {name!r} is not in the registry")
        self.name = name


class UnknownKind(PeriscopeError):
    code = "E_UNKNOWN_KIND"
    http_status = 404

    def __init__(self, kind: str) -> None:
        super().__init__(f"unknown kind {kind!r}")
        self.kind = kind


class ClusterUnreachable(PeriscopeError):
    code = "E_CLUSTER_UNREACHABLE"
    http_status = 502


class UpstreamTimeout(PeriscopeError):
    code = "E_TIMEOUT"
    http_status = 504


class ApiError(PeriscopeError):
    """The apiserver answered with an error; its Status travels with the exception."""

    code = "E_UPSTREAM"
    http_status = 502

    def __init__(self, status: Status) -> None:
        super().__init__(status.message or status.reason or f"apiserver error {status.code}")
        self.status = status

    def body(self) -> dict[str, Any]:
        return {**super().body(), "status": self.status.to_dict()}


class BadRequest(ApiError):
    code = "E_BAD_REQUEST"
    http_status = 400


class Unauthorized(ApiError):
    code = "E_UNAUTHORIZED"
    http_status = 401


class Forbidden(ApiError):
    code = "E_FORBIDDEN"
    http_status = 403


class NotFound(ApiError):
    code = "E_NOT_FOUND"
    http_status = 404


class Conflict(ApiError):
    code = "E_CONFLICT"
    http_status = 409


class Gone(ApiError):
    code = "E_GONE"
    http_status = 410


class Invalid(ApiError):
    code = "E_INVALID"
    http_status = 422


class TooManyRequests(ApiError):
    code = "E_TOO_MANY_REQUESTS"
    http_status = 429


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
    429: TooManyRequests,
}


def api_error(status: Status) -> ApiError:
    """The most specific error for an apiserver Status."""
    return _BY_STATUS.get(status.code, ApiError)(status)


def decode_status(body: bytes, http_status: int) -> Status:
    """Read a Status body; a non-Status body (a proxy's HTML page) still yields one."""
    try:
        status = msgspec.json.decode(body, type=Status)
    except (msgspec.DecodeError, msgspec.ValidationError):
        text = body[:300].decode("utf-8", "replace").strip()
        status = Status(message=text or f"HTTP {http_status}")
    if not status.code:
        status.code = http_status
    return status


class Unauthenticated(PeriscopeError):
    """No usable session; ``reason`` is ``missing``, ``idle``, ``absolute``, ``revoked`` or ``refresh_failed``."""

    code = "E_UNAUTHENTICATED"
    http_status = 401

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or f"not signed in ({reason})")
        self.reason = reason


class LoginFailed(PeriscopeError):
    """The sign-in callback cannot continue; ``reason`` is ``state``, ``expired``, ``idp_error`` or ``no_code``."""

    code = "E_LOGIN_FAILED"
    http_status = 400

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class TokenRejected(PeriscopeError):
    """A token, code or refresh token from the identity provider was refused; never trusted, never retried."""

    code = "E_TOKEN_REJECTED"
    http_status = 401


class IdentityProviderUnavailable(PeriscopeError):
    """The identity provider could not be reached or answered nonsense."""

    code = "E_IDP_UNAVAILABLE"
    http_status = 502


class GroupNotAllowed(PeriscopeError):
    code = "E_GROUP_DENIED"
    http_status = 403


class IdentityRejected(PeriscopeError):
    """An identity whose name or groups cannot be sent safely as Impersonate-* headers.

    Such identities are refused outright, never rewritten: a rewritten name could
    collide with somebody else's.
    """

    code = "E_IDENTITY_REJECTED"
    http_status = 403


class SecretUnresolvable(PeriscopeError):
    code = "E_SECRET"
    http_status = 500


class StreamDisabled(PeriscopeError):
    """Live streams are switched off for this kind; the UI polls the list instead."""

    code = "E_STREAM_DISABLED"
    http_status = 404

    def __init__(self, kind: str) -> None:
        super().__init__(f"{kind} is not streamed live on this server (PERISCOPE_WATCH_STREAMS); poll the list")
        self.kind = kind


class StreamLimitReached(PeriscopeError):
    """The caller already holds as many live streams as the per-user cap allows."""

    code = "E_TOO_MANY_STREAMS"
    http_status = 429

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} live streams per user; close a tab or view, or let the UI poll")
        self.limit = limit

    def body(self) -> dict[str, Any]:
        return {**super().body(), "limit": self.limit}


class ShuttingDown(PeriscopeError):
    """The server is shutting down and opens no new streams."""

    code = "E_SHUTTING_DOWN"
    http_status = 503

    def __init__(self) -> None:
        super().__init__("the server is shutting down; reconnect shortly")


class NotEks(PeriscopeError):
    """An EKS-only view asked of a cluster that is not reached through the eks backend."""

    code = "E_NOT_EKS"
    http_status = 422

    def __init__(self, cluster: str, backend: str) -> None:
        super().__init__(f"cluster {cluster} uses the {backend} backend; this view needs an eks cluster")


class AwsError(PeriscopeError):
    """An AWS API call Periscope made with its own AWS identity failed.

    The caller cannot fix these: the message names the action so the operator can.
    """

    code = "E_AWS_UNAVAILABLE"
    http_status = 502


class AwsAccessDenied(AwsError):
    """Periscope's AWS role may not call the action (its IAM policy lacks it, or scopes it wrongly)."""

    code = "E_AWS_ACCESS_DENIED"


class AwsResourceNotFound(AwsError):
    code = "E_NOT_FOUND"
    http_status = 404
