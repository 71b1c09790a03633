"""Audit settings, outcomes and query parameters: the pure rules."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from periscope_core.domain.audit import DEFAULT_DB_PATH, AuditSettings, outcome_for, parse_duration
from periscope_core.domain.audit_query import AuditQuery, decode_cursor, encode_cursor
from periscope_core.domain.errors import (
    ClusterUnreachable,
    Forbidden,
    GroupNotAllowed,
    InvalidRequest,
    NotFound,
    Status,
    Unauthorized,
)


def test_settings_defaults_match_the_original() -> None:
    settings = AuditSettings.from_env({})
    assert not settings.enabled
    assert settings.db_path == DEFAULT_DB_PATH
    assert (settings.retention_days, settings.max_size_mb, settings.vacuum_interval) == (30, 1024, 86400.0)
    assert settings.problems == ()


@pytest.mark.parametrize(("value", "enabled"), [("true", True), ("True", False), ("1", False), ("yes", False)])
def test_audit_is_enabled_only_by_the_exact_string_true(value: str, enabled: bool) -> None:
    assert AuditSettings.from_env({"PERISCOPE_AUDIT_ENABLED": value}).enabled is enabled


def test_settings_read_every_variable_and_name_the_bad_ones() -> None:
    settings = AuditSettings.from_env({
        "PERISCOPE_AUDIT_DB_PATH": "/data/a.db", "PERISCOPE_AUDIT_RETENTION_DAYS": "0",
        "PERISCOPE_AUDIT_MAX_SIZE_MB": "lots", "PERISCOPE_AUDIT_VACUUM_INTERVAL": "1h30m",
        "PERISCOPE_AUDIT_QUEUE_SIZE": "0",
    })  # fmt: skip
    assert (settings.db_path, settings.retention_days, settings.vacuum_interval) == ("/data/a.db", 0, 5400.0)
    assert (settings.max_size_mb, settings.queue_size) == (1024, 10_000)
    assert [p.split("=")[0] for p in settings.problems] == [
        "PERISCOPE_AUDIT_MAX_SIZE_MB", "PERISCOPE_AUDIT_QUEUE_SIZE"]  # fmt: skip
    assert AuditSettings.from_env({"PERISCOPE_AUDIT_VACUUM_INTERVAL": "soon"}).vacuum_interval == 86400.0


@pytest.mark.parametrize(
    ("text", "seconds"), [("24h", 86400), ("1h30m", 5400), ("90s", 90), ("500ms", 0.5), ("1.5h", 5400), ("0", 0)]
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "h", "10", "5d", "1h-3m"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_startup_warnings_are_the_originals() -> None:
    quiet = AuditSettings.from_env({})
    assert quiet.startup_warnings(free_disk_bytes=100 << 30) == []
    noisy = AuditSettings(retention_days=0, max_size_mb=0, vacuum_interval=30)
    assert [w.split(" ")[0] for w in noisy.startup_warnings()] == ["audit", "PERISCOPE_AUDIT_VACUUM_INTERVAL"]
    long = AuditSettings(retention_days=400, max_size_mb=1024)
    warnings = long.startup_warnings(free_disk_bytes=1500 << 20)
    assert any("more than a year" in w for w in warnings)
    assert any("half the free space" in w and "1500 MB free" in w for w in warnings)


def test_outcomes() -> None:
    assert outcome_for(None) == "success"
    assert outcome_for(Forbidden(Status(code=403))) == "denied"
    assert outcome_for(Unauthorized(Status(code=401))) == "denied"
    assert outcome_for(GroupNotAllowed("not in allowedGroups")) == "denied", "Periscope's own refusals too"
    assert outcome_for(NotFound(Status(code=404))) == "failure"
    assert outcome_for(ClusterUnreachable("connection refused")) == "failure"
    assert outcome_for(RuntimeError("boom")) == "failure"
    assert outcome_for(asyncio.CancelledError()) is None, "a cancelled action writes no row"


def test_query_parameters_are_read_and_checked() -> None:
    query = AuditQuery.from_params({
        "actor": "alice", "verb": "delete", "outcome": "denied", "from": "2026-01-01T00:00:00Z",
        "to": "2026-01-02T00:00:00.123456789Z", "limit": "9999", "offset": "-3", "text": "webhook",
    })  # fmt: skip
    assert (query.actor, query.verb, query.outcome, query.text) == ("alice", "delete", "denied", "webhook")
    assert query.since == datetime(2026, 1, 1, tzinfo=UTC)
    assert (query.limit, query.offset) == (500, 0)
    assert AuditQuery.from_params({}).limit == 50


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "yesterday"}, "invalid from"),
        ({"limit": "ten"}, "invalid limit"),
        ({"verb": "list"}, "invalid verb"),
        ({"outcome": "ok"}, "invalid outcome"),
        ({"cursor": "!!"}, "invalid cursor"),
    ],
)
def test_malformed_query_parameters_name_the_field(params: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        AuditQuery.from_params(params)


def test_cursors_round_trip() -> None:
    assert decode_cursor(encode_cursor(1_767_225_600_123_456_789, 42)) == (1_767_225_600_123_456_789, 42)
