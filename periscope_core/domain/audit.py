"""Audit events: who did what, as whom, to which object, and how it went.

An event is written once per privileged action, after it finished (or once it
started, for long-lived sessions such as exec). Reads are not audited, with the
exceptions named by their verbs (secret reveals, Karpenter and Helm reads, the
audit export itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

import msgspec

from periscope_core.domain.errors import PeriscopeError
from periscope_core.domain.identity import Impersonation, Principal
from periscope_core.domain.resources import GroupVersionResource

__all__ = [
    "DEFAULT_DB_PATH",
    "OUTCOMES",
    "VERBS",
    "Actor",
    "AuditEvent",
    "AuditRecord",
    "AuditRecordNotFound",
    "AuditSchemaTooNew",
    "AuditSettings",
    "AuditStorageError",
    "AuditUnavailable",
    "ImpersonatedAs",
    "Outcome",
    "ResourceRef",
    "StorageProblem",
    "Verb",
    "from_unix_nanos",
    "outcome_for",
    "parse_duration",
    "to_unix_nanos",
]

Verb = Literal[
    # The original product's closed set (log_open was reserved there, emitted here).
    "apply", "delete", "trigger", "exec_open", "exec_close", "secret_reveal", "bulk_download", "log_open",
    # What it left to the log stream only, or did not record at all.
    "login", "logout", "login_denied", "agent_token_mint", "agent_register", "exec_forced_close",
    "karpenter_read", "helm_read",
    # The EKS views call AWS as Periscope, so who caused those calls is recorded.
    "eks_read",
    # A browser sent here by another site tried to open a shell (cross-site WebSocket hijacking).
    "ws_origin_rejected",
    # Reading the audit log in bulk is itself audited.
    "audit_export",
]  # fmt: skip
VERBS: tuple[str, ...] = get_args(Verb)

Outcome = Literal["success", "failure", "denied"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)

DEFAULT_DB_PATH = "/var/lib/periscope/audit/audit.db"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Actor(msgspec.Struct, frozen=True):
    """The human (or agent) who acted, as the identity provider named them."""

    sub: str
    email: str = ""
    groups: tuple[str, ...] = ()

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(sub=principal.subject, email=principal.email, groups=principal.groups)


class ImpersonatedAs(msgspec.Struct, frozen=True):
    """Whom the cluster was told it was talking to; empty for the bridge identity."""

    user: str = ""
    groups: tuple[str, ...] = ()

    @classmethod
    def of(cls, impersonation: Impersonation) -> ImpersonatedAs:
        return cls(user=impersonation.user, groups=impersonation.groups)


class ResourceRef(msgspec.Struct, frozen=True):
    group: str = ""
    version: str = ""
    resource: str = ""
    namespace: str = ""
    """``*`` for actions over many namespaces (bulk downloads)."""
    name: str = ""

    @classmethod
    def of(cls, gvr: GroupVersionResource, *, namespace: str = "", name: str = "") -> ResourceRef:
        return cls(gvr.group, gvr.version, gvr.resource, namespace, name)


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One privileged action. ``timestamp`` is UTC, stamped by the emitter.

    Encoded with the original product's camelCase keys (``requestId``).
    """

    timestamp: datetime
    request_id: str = ""
    route: str = ""
    actor: Actor
    impersonated: ImpersonatedAs = ImpersonatedAs()
    verb: Verb
    outcome: Outcome
    cluster: str = ""
    resource: ResourceRef = ResourceRef()
    reason: str = ""
    extra: dict[str, Any] = {}
    """Verb-specific details (apply: dryRun, force; trigger: jobName; ...); JSON values only."""


class AuditRecord(AuditEvent, frozen=True, kw_only=True):
    """A stored event with its row id."""

    id: int


def outcome_for(exc: BaseException | None) -> Outcome | None:
    """The outcome of an action that ended with ``exc`` (None: it succeeded).

    Refusals (401/403, from the apiserver or from Periscope's own checks) are
    ``denied``, every other error ``failure``. An action interrupted by
    cancellation or interpreter exit returns None: it did not finish, and the
    original product writes no row for it either.
    """
    if exc is None:
        return "success"
    if not isinstance(exc, Exception):
        return None
    if isinstance(exc, PeriscopeError) and exc.http_status in (401, 403):
        return "denied"
    return "failure"


def to_unix_nanos(moment: datetime) -> int:
    """Nanoseconds since the epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def from_unix_nanos(nanos: int) -> datetime:
    return _EPOCH + timedelta(microseconds=nanos // 1000)


StorageProblem = Literal["locked", "disk_full", "read_only", "unavailable", "corrupt", "schema"]


class AuditStorageError(PeriscopeError):
    """A sink could not store a batch; ``problem`` says why, for health reports."""

    code = "E_AUDIT_STORAGE"
    http_status = 503

    def __init__(self, message: str, *, problem: StorageProblem) -> None:
        super().__init__(message)
        self.problem = problem


class AuditSchemaTooNew(AuditStorageError):
    """The database was migrated by a newer Periscope; this one must not write to it."""

    code = "E_AUDIT_SCHEMA"

    def __init__(self, path: str, found: int, supported: int) -> None:
        super().__init__(
            f"audit database {path} has schema version {found}, but this Periscope understands versions up to "
            f"{supported}: upgrade Periscope, or set PERISCOPE_AUDIT_DB_PATH to another file",
            problem="schema",
        )
        self.found = found
        self.supported = supported


class AuditUnavailable(PeriscopeError):
    """Privileged actions are refused while their audit rows could not be kept."""

    code = "E_AUDIT_UNAVAILABLE"
    http_status = 503


class AuditRecordNotFound(PeriscopeError):
    code = "E_NOT_FOUND"
    http_status = 404

    def __init__(self, record_id: int) -> None:
        super().__init__(f"audit record {record_id} not found")
        self.record_id = record_id


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (``24h``, ``1h30m``, ``90s``, ``500ms``); raises ValueError."""
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    rest, total = text.strip(), 0.0
    if rest in ("0", "+0"):
        return 0.0
    if not rest:
        raise ValueError("empty duration")
    while rest:
        number = ""
        while rest and (rest[0].isdigit() or rest[0] == "."):
            number, rest = number + rest[0], rest[1:]
        unit = ""
        while rest and not (rest[0].isdigit() or rest[0] == "."):
            unit, rest = unit + rest[0], rest[1:]
        if not number or unit not in units:
            raise ValueError(f"invalid duration {text!r}")
        total += float(number) * units[unit]
    return total


class AuditSettings(msgspec.Struct, frozen=True, kw_only=True):
    """The audit configuration, read from the original product's environment variables."""

    enabled: bool = False
    db_path: str = DEFAULT_DB_PATH
    retention_days: int = 30
    """Rows older than this are deleted; 0 keeps rows forever."""
    max_size_mb: int = 1024
    """The oldest rows are deleted once the database is larger; 0 disables the cap."""
    vacuum_interval: float = 86400.0
    """Seconds between retention passes."""
    queue_size: int = 10_000
    """Events kept in memory per sink while it cannot write; beyond that they are lost (and counted)."""
    chain_check_interval: float = 300.0
    """Seconds between checks of the hash chain's new rows (not read from the environment)."""
    chain_full_check_interval: float = 86400.0
    """Seconds between walks of the whole chain, which also catch edits to rows checked before."""
    problems: tuple[str, ...] = ()
    """Values that were ignored in favour of the default."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AuditSettings:
        problems: list[str] = []

        def number(name: str, default: int, minimum: int) -> int:
            raw = environ.get(name, "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                value = minimum - 1
            if value < minimum:
                problems.append(f"{name}={raw!r} is not a whole number >= {minimum}; using {default}")
                return default
            return value

        interval_raw = environ.get("PERISCOPE_AUDIT_VACUUM_INTERVAL", "").strip()
        interval = 86400.0
        if interval_raw:
            try:
                interval = parse_duration(interval_raw)
                if interval <= 0:
                    raise ValueError(interval_raw)
            except ValueError:
                problems.append(f"PERISCOPE_AUDIT_VACUUM_INTERVAL={interval_raw!r} is not a positive duration; "
                                "using 24h")
                interval = 86400.0
        return cls(
            # The original enables audit only for the exact string "true".
            enabled=environ.get("PERISCOPE_AUDIT_ENABLED") == "true",
            db_path=environ.get("PERISCOPE_AUDIT_DB_PATH", "").strip() or DEFAULT_DB_PATH,
            retention_days=number("PERISCOPE_AUDIT_RETENTION_DAYS", 30, 0),
            max_size_mb=number("PERISCOPE_AUDIT_MAX_SIZE_MB", 1024, 0),
            vacuum_interval=interval,
            queue_size=number("PERISCOPE_AUDIT_QUEUE_SIZE", 10_000, 1),
            problems=tuple(problems),
        )

    def startup_warnings(self, *, free_disk_bytes: int | None = None) -> list[str]:
        """The original product's start-up warnings, plus any ignored value."""
        warnings = list(self.problems)
        if self.retention_days == 0 and self.max_size_mb == 0:
            warnings.append("audit retention is off (PERISCOPE_AUDIT_RETENTION_DAYS=0 and "
                            "PERISCOPE_AUDIT_MAX_SIZE_MB=0): the database grows without bound")
        if self.vacuum_interval < 60:
            warnings.append(f"PERISCOPE_AUDIT_VACUUM_INTERVAL is {self.vacuum_interval:g}s, under one minute: "
                            "retention passes (and VACUUM) will run very often")
        if self.retention_days > 365:
            warnings.append(f"PERISCOPE_AUDIT_RETENTION_DAYS={self.retention_days} keeps more than a year of rows")
        if free_disk_bytes is not None and self.max_size_mb and self.max_size_mb << 20 > free_disk_bytes // 2:
            warnings.append(f"PERISCOPE_AUDIT_MAX_SIZE_MB={self.max_size_mb} is more than half the free space on "
                            f"the volume ({free_disk_bytes >> 20} MB free); VACUUM needs room for a full copy")
        return warnings
