"""Server settings, read from the environment under the original product's names.

Settings are a plain frozen Struct built once at start-up; nothing reads the
environment afterwards, so tests build Settings directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

from periscope_core.domain.audit import AuditSettings
from periscope_core.domain.errors import ConfigError, ConfigProblem
from periscope_core.domain.exec import ExecPolicy
from periscope_core.domain.identity import Impersonation, Principal
from periscope_core.domain.watch_streams import (
    DEFAULT_PER_USER_LIMIT,
    WatchStreams,
    parse_per_user_limit,
    parse_watch_streams,
)

__all__ = ["Settings", "default_data_dir"]

def default_data_dir(environ: Mapping[str, str] = os.environ) -> str:
    """``$XDG_DATA_HOME/periscope`` (``~/.local/share/periscope``), or ``.data`` without a home."""
    base = environ.get("XDG_DATA_HOME") or (
        str(Path(environ["HOME"]) / ".local" / "share") if environ.get("HOME") else ""
    )
    return str(Path(base) / "periscope") if base else ".data"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the composition root needs; later features read their own fields."""

    host: str = "127.0.0.1"
    port: int = 8080
    clusters_file: str = ""
    auth_file: str = ""
    auth_mode: str = ""
    data_dir: str = ".data"
    watch_streams: WatchStreams = WatchStreams()
    watch_per_user_limit: int = DEFAULT_PER_USER_LIMIT
    stream_ping_seconds: float = 15.0
    stream_recheck_seconds: float = 60.0
    header_timeout: float = 10.0
    """Seconds a client has to send a request's headers (not read from the environment)."""
    """How often a live stream re-checks that its caller is still signed in."""
    """How often an idle watch or log stream gets a ``: ping`` comment (not read from the environment)."""
    audit: AuditSettings = AuditSettings()
    exec_idle_seconds: int = 600
    exec_idle_warn_seconds: int = 30
    exec_heartbeat_seconds: int = 20
    exec_max_sessions_per_user: int = 5
    exec_max_sessions_total: int = 50
    probe_clusters_on_boot: bool = False
    exec_recording: bool = False
    """Record every cluster's sessions unless its registry entry says ``exec.recording: false``."""
    exec_record_input: bool = False
    exec_recordings_dir: str = ""
    """Where recordings go; ``<data_dir>/recordings`` when empty."""
    dev_allow_origins: tuple[str, ...] = ()
    agent_listen_addr: str = ""
    agent_tunnel_sans: tuple[str, ...] = ("localhost",)
    request_timeout: float = 30.0
    ui_dir: str = ""
    """The built web UI; empty means the checkout's ui/dist or the packaged copy."""
    session_secret: str = ""
    """``PERISCOPE_SESSION_SECRET``: sealing secrets, newest first, or a reference to them (ADR 0004)."""
    # Not read from the environment: let an embedding app or a test run dev mode as a given person
    # (None: the auth file's ``dev`` identity) calling clusters as a given identity (None: as the
    # auth file's authorization mode maps that person).
    dev_principal: Principal | None = None
    dev_impersonation: Impersonation | None = None
    version: str = "0.0.0"
    commit: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read the environment; ConfigError for a malformed PORT or watch setting; other bad numbers keep defaults."""
        env = _Env(environ)
        return cls(
            host=environ.get("PERISCOPE_HOST", "127.0.0.1"),
            port=env.port(),
            clusters_file=environ.get("PERISCOPE_CLUSTERS_FILE", ""),
            auth_file=environ.get("PERISCOPE_AUTH_FILE", ""),
            auth_mode=environ.get("PERISCOPE_AUTH_MODE", ""),
            data_dir=environ.get("PERISCOPE_DATA_DIR") or default_data_dir(environ),
            watch_streams=parse_watch_streams(environ.get("PERISCOPE_WATCH_STREAMS", "")),
            watch_per_user_limit=parse_per_user_limit(environ.get("PERISCOPE_WATCH_PER_USER_LIMIT", "")),
            audit=AuditSettings.from_env(environ),
            exec_idle_seconds=env.number("PERISCOPE_EXEC_IDLE_SECONDS", 600),
            exec_idle_warn_seconds=env.number("PERISCOPE_EXEC_IDLE_WARN_SECONDS", 30),
            exec_heartbeat_seconds=env.number("PERISCOPE_EXEC_HEARTBEAT_SECONDS", 20),
            exec_max_sessions_per_user=env.number("PERISCOPE_EXEC_MAX_SESSIONS_PER_USER", 5),
            exec_max_sessions_total=env.number("PERISCOPE_EXEC_MAX_SESSIONS_TOTAL", 50),
            probe_clusters_on_boot=environ.get("PERISCOPE_PROBE_CLUSTERS_ON_BOOT") == "1",
            exec_recording=environ.get("PERISCOPE_EXEC_RECORDING") in ("1", "true"),
            exec_record_input=environ.get("PERISCOPE_EXEC_RECORD_INPUT") in ("1", "true"),
            exec_recordings_dir=environ.get("PERISCOPE_EXEC_RECORDINGS_DIR", ""),
            dev_allow_origins=_csv(environ.get("PERISCOPE_DEV_ALLOW_ORIGINS", "")),
            session_secret=environ.get("PERISCOPE_SESSION_SECRET", ""),
            agent_listen_addr=environ.get("PERISCOPE_AGENT_LISTEN_ADDR", ""),
            agent_tunnel_sans=_csv(environ.get("PERISCOPE_AGENT_TUNNEL_SANS", "")) or ("localhost",),
            commit=environ.get("PERISCOPE_COMMIT", ""),
            ui_dir=environ.get("PERISCOPE_UI_DIR", ""),
            version=_installed_version(),
        )

    def exec_policy(self) -> ExecPolicy:
        """The global exec defaults each cluster's registry overrides apply to."""
        return ExecPolicy(
            idle_seconds=self.exec_idle_seconds, idle_warn_seconds=self.exec_idle_warn_seconds,
            heartbeat_seconds=self.exec_heartbeat_seconds, max_sessions_per_user=self.exec_max_sessions_per_user,
            max_sessions_total=self.exec_max_sessions_total, recording=self.exec_recording,
            record_input=self.exec_record_input,
        )  # fmt: skip

    @property
    def recordings_dir(self) -> str:
        return self.exec_recordings_dir or str(Path(self.data_dir) / "recordings")


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("periscope")
    except PackageNotFoundError:
        return "0.0.0"


class _Env:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def number(self, name: str, default: int, *, minimum: int = 1) -> int:
        """The original's rule: unparsable or too small values fall back to the default."""
        try:
            value = int(self._environ.get(name, ""))
        except ValueError:
            return default
        return value if value >= minimum else default

    def port(self) -> int:
        raw = self._environ.get("PORT", "")
        if not raw:
            return 8080
        if raw.isdigit() and 0 < int(raw) < 65536:
            return int(raw)
        raise ConfigError([ConfigProblem(file="environment", field="PORT", message=f"not a TCP port: {raw!r}")])
