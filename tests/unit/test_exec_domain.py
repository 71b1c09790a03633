"""Exec policy merging, default container, command parameter and error bodies."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from periscope_core.domain.clusters import ExecOverrides
from periscope_core.domain.errors import InvalidRequest
from periscope_core.domain.exec import (
    ExecPolicy,
    NoShell,
    SessionSummary,
    UserCapReached,
    close_code,
    decode_command,
    default_container,
)
from periscope_core.services.registry import parse_registry
from periscope_entrypoints.settings import Settings


def test_cluster_overrides_are_partial() -> None:
    defaults = ExecPolicy(idle_seconds=600, max_sessions_per_user=5)
    merged = defaults.for_cluster(ExecOverrides(serverIdleSeconds=1800, maxSessionsPerUser=10, recording=True))
    assert (merged.idle_seconds, merged.max_sessions_per_user, merged.recording) == (1800, 10, True)
    assert (merged.idle_warn_seconds, merged.max_sessions_total, merged.enabled) == (30, 50, True)
    assert not defaults.for_cluster(ExecOverrides(enabled=False)).enabled


def test_a_non_positive_override_from_the_registry_keeps_the_default() -> None:
    text = "clusters:\n  - name: prod\n    backend: in-cluster\n    exec: {serverIdleSeconds: 0, recording: true}\n"
    registry = parse_registry(text, source="clusters.yaml")
    policy = ExecPolicy().for_cluster(registry.clusters[0].exec)
    assert (policy.idle_seconds, policy.recording) == (600, True)
    assert registry.warnings


def pod(containers: list[str], annotation: str | None = None) -> dict[str, object]:
    meta = {"annotations": {"kubectl.kubernetes.io/default-container": annotation}} if annotation else {}
    return {"metadata": meta, "spec": {"containers": [{"name": n} for n in containers]}}


@pytest.mark.parametrize(
    ("containers", "annotation", "expected"),
    [
        (["app", "proxy"], None, "app"),
        (["proxy", "app"], "app", "app"),
        (["app"], "gone", "app"),
        ([], None, ""),
    ],
)
def test_the_default_container(containers: list[str], annotation: str | None, expected: str) -> None:
    assert default_container(pod(containers, annotation)) == expected


def test_the_command_parameter_is_base64_json_in_either_alphabet() -> None:
    argv = ["sh", "-c", "ls ~/??>"]
    raw = json.dumps(argv).encode()
    assert decode_command(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == tuple(argv)
    assert decode_command(base64.b64encode(raw).decode()) == tuple(argv)
    assert decode_command("") == ()


@pytest.mark.parametrize(
    "param", ["not base64!", base64.b64encode(b'{"a": 1}').decode(), base64.b64encode(b"[]").decode()]
)
def test_a_malformed_command_parameter_is_refused(param: str) -> None:
    with pytest.raises(InvalidRequest):
        decode_command(param)


def test_cap_errors_list_the_callers_sessions_and_close_with_4429() -> None:
    summary = SessionSummary(
        session_id="s1", user="alice", cluster="prod", namespace="shop", pod="web-0", container="app", tty=True,
        started_at=datetime(2025, 5, 1, tzinfo=UTC), state="open", transport="ws_v5",
    )  # fmt: skip
    error = UserCapReached("too many", limit=5, active=[summary])
    body = error.body()
    assert (body["error"], body["limit"], error.http_status, close_code(error)) == ("E_CAP_USER", 5, 429, 4429)
    assert body["activeSessions"][0] == {
        "sessionId": "s1", "user": "alice", "cluster": "prod", "namespace": "shop", "pod": "web-0",
        "container": "app", "tty": True, "startedAt": "2025-05-01T00:00:00Z", "state": "open",
        "transport": "ws_v5", "recording": False,
    }  # fmt: skip
    assert close_code(NoShell("app", [("bash",), ("sh",)])) == 4422


def test_settings_build_the_global_exec_policy() -> None:
    settings = Settings.from_env({
        "PERISCOPE_EXEC_IDLE_SECONDS": "900", "PERISCOPE_EXEC_MAX_SESSIONS_PER_USER": "0",
        "PERISCOPE_EXEC_RECORDING": "1", "PERISCOPE_DATA_DIR": "/srv/periscope",
    })  # fmt: skip
    policy = settings.exec_policy()
    assert (policy.idle_seconds, policy.max_sessions_per_user, policy.recording, policy.record_input) == (
        900, 5, True, False,
    )
    assert settings.recordings_dir == "/srv/periscope/recordings"
