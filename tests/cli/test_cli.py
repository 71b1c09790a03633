"""The ``periscope`` command, run as a subprocess exactly as a user runs it."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
import yaml

from periscope_core.domain.tier_rbac import periscope_rbac_objects

from .conftest import SandboxFiles
from .helpers import Running, run

GOOD_KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: dev, context: {cluster: c, user: u}}]
current-context: dev
"""


def _one_error_line(result: object) -> str:
    stderr = result.stderr  # type: ignore[attr-defined]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    return str(lines[0])


def test_config_validate_good_file(tmp_path: Path) -> None:
    (tmp_path / "kubeconfig").write_text(GOOD_KUBECONFIG)
    registry = tmp_path / "clusters.yaml"
    registry.write_text(
        "clusters:\n"
        "  - {name: dev, backend: kubeconfig, kubeconfigPath: kubeconfig, kubeconfigContext: dev}\n"
        "  - {name: dev-2, backend: kubeconfig, kubeconfigPath: kubeconfig, kubeconfigContext: dev}\n"
    )
    result = run("config", "validate", str(registry), tmp=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, "ok: 2 clusters"), result.stderr


def test_config_validate_lists_every_problem(tmp_path: Path) -> None:
    registry = tmp_path / "clusters.yaml"
    registry.write_text(
        "clusters:\n"
        "  - {name: Bad_Name, backend: kubeconfig}\n"
        "  - {name: ok, backend: warp-drive}\n"
        "  - {name: ok, backend: kubeconfig, colour: blue}\n"
    )
    result = run("config", "validate", str(registry), tmp=tmp_path)
    assert result.returncode == 1
    problems = result.stderr.strip().splitlines()
    assert len(problems) >= 3, result.stderr
    assert all(str(registry) in line for line in problems)
    assert any("Bad_Name" in line for line in problems)
    assert any("warp-drive" in line for line in problems)
    assert "Traceback" not in result.stderr


def test_config_validate_unreadable_file(tmp_path: Path) -> None:
    result = run("config", "validate", str(tmp_path / "missing.yaml"), tmp=tmp_path)
    assert result.returncode == 2
    assert "missing.yaml" in _one_error_line(result)


@pytest.mark.parametrize(
    "args",
    [
        ("get", "pods", "--cluster"),
        ("get", "pods", "--cluster", "x", "--bogus"),
        ("serve", "--port", "eighty"),
        ("frobnicate",),
        ("get", "pods", "-n", "a", "-A", "--cluster", "x"),
    ],
)
def test_bad_flags_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run(*args, tmp=tmp_path)
    assert result.returncode == 2
    _one_error_line(result)


def test_sandbox_prints_contexts_and_writes_files(sandbox: SandboxFiles) -> None:
    assert sandbox.kubeconfig.is_file()
    assert sandbox.registry.is_file()
    assert sandbox.stdout[0].startswith("context ")
    assert "backend: kubeconfig" in sandbox.registry.read_text()


def test_get_pods_across_namespaces(sandbox: SandboxFiles, tmp_path: Path) -> None:
    result = run("get", "pods", "-A", "--cluster", _first_cluster(sandbox), "--clusters", str(sandbox.registry),
                 tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert rows
    # Columns are aligned: every row's NAME starts where the header's does.
    name_at = header.index(" NAME ") + 1
    assert all(row[name_at - 1] == " " and row[name_at] != " " for row in rows)


def test_get_other_kinds_and_aliases(sandbox: SandboxFiles, tmp_path: Path) -> None:
    cluster = _first_cluster(sandbox)
    nodes = run("get", "no", "--cluster", cluster, "--clusters", str(sandbox.registry), tmp=tmp_path)
    assert nodes.returncode == 0, nodes.stderr
    assert nodes.stdout.split("\n")[0].split() == ["NAME", "STATUS", "ROLES", "VERSION", "AGE"]
    deploys = run("get", "deploy", "-n", "kube-system", "--cluster", cluster, "--clusters",
                  str(sandbox.registry), tmp=tmp_path)
    assert deploys.returncode == 0, deploys.stderr
    empty = run("get", "pods", "-n", "no-such-namespace", "--cluster", cluster, "--clusters",
                str(sandbox.registry), tmp=tmp_path)
    assert (empty.returncode, empty.stdout) == (0, "")
    assert "No resources found in no-such-namespace namespace." in empty.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("get", "widgets", "--cluster", "{c}"), "unknown kind"),
        (("get", "pods", "--cluster", "nope"), "nope"),
    ],
)
def test_get_bad_input_exits_2(sandbox: SandboxFiles, tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    argv = [a.format(c=_first_cluster(sandbox)) for a in args]
    result = run(*argv, "--clusters", str(sandbox.registry), tmp=tmp_path)
    assert result.returncode == 2
    assert needle in _one_error_line(result)


def test_get_without_a_registry_or_with_a_missing_one(tmp_path: Path) -> None:
    assert "PERISCOPE_CLUSTERS_FILE" in _one_error_line(run("get", "pods", "--cluster", "x", tmp=tmp_path))
    missing = run("get", "pods", "--cluster", "x", "--clusters", str(tmp_path / "nope.yaml"), tmp=tmp_path)
    assert missing.returncode == 2
    assert "nope.yaml" in _one_error_line(missing)


def test_serve_on_a_registry_answers_and_stops_on_sigterm(sandbox: SandboxFiles, tmp_path: Path) -> None:
    server = Running("serve", "--port", "0", "--clusters", str(sandbox.registry), tmp=tmp_path)
    try:
        url = server.wait_for("Periscope is serving ").split()[3]
        clusters = httpx.get(f"{url}/api/clusters", timeout=10).json()["clusters"]
        contexts = {line.split()[1].rstrip(":") for line in sandbox.stdout if line.startswith("context ")}
        assert {c["name"] for c in clusters} == contexts
        pods = httpx.get(f"{url}/api/clusters/{_first_cluster(sandbox)}/pods", timeout=20).json()
        assert pods["items"]
        assert server.terminate() == 0
    finally:
        server.kill()


def test_serve_without_config_starts_the_sandbox_fleet(tmp_path: Path) -> None:
    server = Running("serve", "--port", "0", tmp=tmp_path)
    try:
        url = server.wait_for("Periscope is serving ").split()[3]
        assert url.startswith("http://127.0.0.1:")
        clusters = httpx.get(f"{url}/api/clusters", timeout=10).json()["clusters"]
        assert len(clusters) >= 3
        assert (tmp_path / "data" / "sandbox" / "kubeconfig").is_file()
        assert server.terminate() == 0
    finally:
        server.kill()


def test_serve_reports_a_busy_port_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--port", str(port), tmp=tmp_path)
    assert result.returncode == 1
    assert str(port) in _one_error_line(result)


def _first_cluster(sandbox: SandboxFiles) -> str:
    return sandbox.stdout[0].split()[1].rstrip(":")


def test_rbac_prints_what_a_managed_cluster_needs(tmp_path: Path) -> None:
    result = run("rbac", "--raw-group", "periscope:sre", "--service-account", "periscope/console", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    printed = list(yaml.safe_load_all(result.stdout))
    assert printed == periscope_rbac_objects(extra_groups=["periscope:sre"],
                                             service_accounts=[("periscope", "console")])  # fmt: skip


@pytest.mark.parametrize(
    ("args", "needle"),
    [(("--raw-group", "system:masters"), "system:"), (("--service-account", "console"), "NAMESPACE/NAME")],
)
def test_rbac_refuses_a_system_group_and_a_malformed_account(
    tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    result = run("rbac", *args, tmp=tmp_path)
    assert result.returncode == 2
    assert needle in _one_error_line(result)
    assert result.stdout == ""
