"""The real kubectl against ``periscope sandbox`` as a user starts it from the shell.

The scenario suite in tests/kubectl drives the same fleet in-process; this checks the
command itself: the files it writes and the servers it keeps running.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import SandboxFiles

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
]

MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cli-settings
  namespace: default
data:
  colour: blue
"""


def kubectl(sandbox: SandboxFiles, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    context = sandbox.registry.read_text().split("name: ", 1)[1].split()[0]
    return subprocess.run(
        ["kubectl", "--kubeconfig", str(sandbox.kubeconfig), "--context", context, *args],
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
        env={"HOME": str(sandbox.kubeconfig.parent), "PATH": "/usr/bin:/bin"},
    )


def test_get_pods_in_every_namespace(sandbox: SandboxFiles) -> None:
    result = kubectl(sandbox, "get", "pods", "-A")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[:3] == ["NAMESPACE", "NAME", "READY"]
    assert len(result.stdout.splitlines()) > 3


def test_server_side_apply_then_read_back(sandbox: SandboxFiles, tmp_path: Path) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(MANIFEST)
    applied = kubectl(sandbox, "apply", "--server-side", "--field-manager", "cli-test", "-f", str(manifest))
    assert applied.returncode == 0, applied.stderr
    assert "serverside-applied" in applied.stdout
    colour = kubectl(sandbox, "get", "configmap", "cli-settings", "-o", "jsonpath={.data.colour}")
    assert colour.stdout == "blue"


def test_auth_can_i_as_another_user(sandbox: SandboxFiles) -> None:
    denied = kubectl(sandbox, "auth", "can-i", "delete", "pods", "--as", "nobody")
    assert denied.stdout.strip() == "no"


def test_exec_and_logs_reach_a_running_pod(sandbox: SandboxFiles) -> None:
    pods = kubectl(sandbox, "get", "pods", "-A", "--field-selector", "status.phase=Running",
                   "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}")
    namespace, name = next(p for p in pods.stdout.split() if "/" in p).split("/")
    echoed = kubectl(sandbox, "exec", "-n", namespace, name, "--", "echo", "hello from the sandbox")
    assert echoed.returncode == 0, echoed.stderr
    assert echoed.stdout.strip() == "hello from the sandbox"
    logs = kubectl(sandbox, "logs", "-n", namespace, name, "--tail", "5", "--all-containers")
    assert logs.returncode == 0, logs.stderr
