"""Pod exec: the per-cluster policy, what a session looks like from outside, and its errors.

A policy is the global defaults (``PERISCOPE_EXEC_*``) with the registry's partial
per-cluster ``exec`` overrides laid over them. Errors that reach a browser after the
WebSocket upgrade travel as an in-band message followed by an application close
code, ``4000 + http_status`` (4403, 4429, ...), because a browser cannot read the
body of a refused upgrade.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal, get_args

import msgspec

from periscope_core.domain.clusters import ExecOverrides
from periscope_core.domain.errors import InvalidRequest, PeriscopeError

__all__ = [
    "CLOSE_REASONS",
    "DEFAULT_CONTAINER_ANNOTATION",
    "SHELLS",
    "ClosedBy",
    "ClusterCapReached",
    "ExecDisabled",
    "ExecPolicy",
    "ExecTarget",
    "NoShell",
    "SessionCapReached",
    "SessionNotFound",
    "SessionSummary",
    "Transport",
    "UserCapReached",
    "close_code",
    "decode_command",
    "default_container",
]

ClosedBy = Literal[
    "client_close", "server_idle", "heartbeat_timeout", "forced_close", "container_exit", "denied", "failed",
    "auth_expired",
]  # fmt: skip
"""Why a session ended; ``failed`` means it could not start or lost its upstream (the error code says why),
``auth_expired`` that its user signed out or the sign-in ended while the shell was open."""
CLOSE_REASONS: tuple[str, ...] = get_args(ClosedBy)

Transport = Literal["ws_v5", "ws_v4"]

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
SHELLS: tuple[tuple[str, ...], ...] = (("bash",), ("sh",))
"""Tried in order when no command is given; an image with neither gets E_NO_SHELL."""

_MAX_COMMAND_PARAM = 8192

# Registry key -> policy field; a None override inherits the default.
_OVERRIDES = (
    ("enabled", "enabled"),
    ("serverIdleSeconds", "idle_seconds"),
    ("idleWarnSeconds", "idle_warn_seconds"),
    ("heartbeatSeconds", "heartbeat_seconds"),
    ("maxSessionsPerUser", "max_sessions_per_user"),
    ("maxSessionsTotal", "max_sessions_total"),
    ("recording", "recording"),
)


class ExecPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How exec behaves on one cluster. Times are seconds (fractions allowed, for tests)."""

    enabled: bool = True
    idle_seconds: float = 600.0
    """No stdin or output for this long closes the session (``server_idle``)."""
    idle_warn_seconds: float = 30.0
    """How long before the idle cut the browser is warned."""
    heartbeat_seconds: float = 20.0
    pong_timeout_seconds: float = 10.0
    """A ping the browser leaves unanswered this long closes the session (``heartbeat_timeout``)."""
    max_sessions_per_user: int = 5
    """Per user, counted across every cluster."""
    max_sessions_total: int = 50
    """Per cluster, every user together."""
    recording: bool = False
    record_input: bool = False
    """Keystrokes are recorded only when the operator opts in: they may contain secrets."""

    def for_cluster(self, overrides: ExecOverrides) -> ExecPolicy:
        """These defaults with a cluster's overrides applied."""
        changes = {field: value for key, field in _OVERRIDES if (value := getattr(overrides, key)) is not None}
        return msgspec.structs.replace(self, **changes)


class ExecTarget(msgspec.Struct, frozen=True, kw_only=True):
    """What a browser asked to run; empty container and command mean the defaults."""

    cluster: str
    namespace: str
    pod: str
    container: str = ""
    command: tuple[str, ...] = ()
    tty: bool = True


class SessionSummary(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One active session, as the admin list and the cap errors show it."""

    session_id: str
    user: str
    cluster: str
    namespace: str
    pod: str
    container: str
    tty: bool
    started_at: datetime
    state: Literal["opening", "open"]
    transport: str = ""
    recording: bool = False


class ExecDisabled(PeriscopeError):
    code = "E_EXEC_DISABLED"
    http_status = 403

    def __init__(self, cluster: str) -> None:
        super().__init__(f"exec is disabled on cluster {cluster!r}")
        self.cluster = cluster


class SessionCapReached(PeriscopeError):
    """Too many sessions; the body lists the caller's own, so they can close one."""

    http_status = 429
    cap: ClassVar[str] = ""

    def __init__(self, message: str, *, limit: int, active: Sequence[SessionSummary]) -> None:
        super().__init__(message)
        self.limit = limit
        self.active = list(active)

    def body(self) -> dict[str, Any]:
        sessions = msgspec.to_builtins(self.active)
        return {**super().body(), "limit": self.limit, "activeSessions": sessions}


class UserCapReached(SessionCapReached):
    code = "E_CAP_USER"
    cap = "user"


class ClusterCapReached(SessionCapReached):
    code = "E_CAP_CLUSTER"
    cap = "cluster"


class NoShell(PeriscopeError):
    code = "E_NO_SHELL"
    http_status = 422

    def __init__(self, container: str, tried: Sequence[Sequence[str]]) -> None:
        names = " or ".join(part[0] for part in tried)
        super().__init__(f"container {container!r} has no shell ({names}): use an ephemeral debug container")
        self.container = container


class SessionNotFound(PeriscopeError):
    code = "E_NOT_FOUND"
    http_status = 404

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


def close_code(error: PeriscopeError) -> int:
    """The WebSocket application close code for an error (4000 + its HTTP status)."""
    return 4000 + error.http_status


def default_container(pod: Mapping[str, Any]) -> str:
    """``kubectl.kubernetes.io/default-container`` when it names a container, else the first one."""
    names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION, "")
    if annotated in names:
        return str(annotated)
    return str(names[0]) if names else ""


def decode_command(param: str) -> tuple[str, ...]:
    """The ``command`` query parameter: URL-safe or standard base64 of a JSON array of strings."""
    if not param:
        return ()
    if len(param) > _MAX_COMMAND_PARAM:
        raise InvalidRequest("command: too long")
    padded = param + "=" * (-len(param) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        argv = msgspec.json.decode(raw, type=list[str])
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise InvalidRequest("command: expected base64 of a JSON array of strings") from None
    if not argv or not argv[0]:
        raise InvalidRequest("command: the array must name a program")
    return tuple(argv)
