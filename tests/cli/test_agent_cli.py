"""``periscope agent`` refuses to start on configuration it cannot run with: one line, exit status 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .helpers import PERISCOPE, env

SERVER = "wss://periscope.example.com:8443"


def agent(tmp: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PERISCOPE, "agent", *args], capture_output=True, text=True, timeout=60,
                          env=env(tmp, **variables), check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("variables", "args", "complaint"),
    [
        ({}, (), "PERISCOPE_SERVER_URL is required"),
        ({"PERISCOPE_SERVER_URL": "ftp://x"}, (), "PERISCOPE_SERVER_URL must be wss:// or https://"),
        ({"PERISCOPE_SERVER_URL": SERVER}, (), "PERISCOPE_CLUSTER_NAME is required"),
        ({"PERISCOPE_SERVER_URL": SERVER, "PERISCOPE_CLUSTER_NAME": "Prod_EU"}, (), "DNS-1123"),
        ({"PERISCOPE_SERVER_URL": SERVER, "PERISCOPE_CLUSTER_NAME": "prod-eu", "PERISCOPE_SERVER_CA_HASH": "abcd"},
         (), "sha256:<64 hex digits>"),
        ({"PERISCOPE_SERVER_URL": SERVER, "PERISCOPE_CLUSTER_NAME": "prod-eu"}, ("--context", "x"),
         "--context needs --kubeconfig"),
        # First boot (no state yet) without a token to register with.
        ({"PERISCOPE_SERVER_URL": SERVER, "PERISCOPE_CLUSTER_NAME": "prod-eu"}, (), "PERISCOPE_REGISTRATION_TOKEN"),
    ],
)  # fmt: skip
def test_bad_configuration_is_one_error_line_and_exit_2(
    tmp_path: Path, variables: dict[str, str], args: tuple[str, ...], complaint: str
) -> None:
    result = agent(tmp_path, *args, PERISCOPE_AGENT_STATE_DIR=str(tmp_path / "state"), **variables)
    lines = result.stderr.strip().splitlines()
    assert (result.returncode, len(lines)) == (2, 1), result.stderr
    assert lines[0].startswith("error: ")
    assert complaint in lines[0]
    assert not (tmp_path / "state").exists()
