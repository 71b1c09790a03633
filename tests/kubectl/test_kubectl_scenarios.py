"""The real kubectl against the sandbox fleet: the acceptance test of the sandbox's fidelity.

The fleet runs in a background thread (its own event loop); kubectl runs as a subprocess
with a kubeconfig the fleet wrote, exactly as a user would run it against `periscope sandbox`.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from periscope_adapters.sandbox import SandboxFleet

KUBECTL = Path("/usr/bin/kubectl")

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl is not installed at /usr/bin/kubectl"),
]


class Env:
    def __init__(self, fleet: SandboxFleet, portal: BlockingPortal, kubeconfig: Path, cache: Path) -> None:
        self.fleet, self.portal, self.kubeconfig, self.cache = fleet, portal, kubeconfig, cache

    def argv(self, *args: str) -> list[str]:
        return [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(self.cache), *args]

    def run(self, *args: str, input: str | None = None, timeout: float = 30,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.argv(*args), input=input, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("kubectl")
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(
        SandboxFleet.start(churn=False)
    ) as fleet:
        kubeconfig = tmp / "kubeconfig"
        fleet.write_kubeconfig(kubeconfig)
        yield Env(fleet, portal, kubeconfig, tmp / "cache")


class Streaming:
    """A long-running kubectl whose output lines are read as they come."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if predicate(line):
                return line
        stderr = "" if self.proc.poll() is None else (self.proc.stderr.read() if self.proc.stderr else "")
        raise AssertionError(f"no matching line within {timeout}s; got {self.seen!r} {stderr}")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=5)


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


def pod_of(env: Env, namespace: str, app: str, context: str = "prod") -> str:
    args = ("--context", context, "get", "pods", "-n", namespace, "-l", f"app={app}", "-o", "name")
    names = env.run(*args).stdout.split()
    assert names, f"no pod for app={app}"
    return names[0].removeprefix("pod/")


def test_get_pods_all_namespaces_shows_the_demo(env: Env) -> None:
    out = env.run("get", "pods", "-A").stdout
    header = out.splitlines()[0].split()
    assert header == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert "CrashLoopBackOff" in out
    assert "ImagePullBackOff" in out
    assert any(line.split()[:2] == ["ml", "gpu-trainer-0"] and "Pending" in line for line in out.splitlines())
    assert sum(1 for line in out.splitlines() if line.startswith("payments") and "ledger-" in line) == 3


def test_contexts_reach_each_cluster(env: Env) -> None:
    out = env.run("--context", "edge", "get", "pods", "-n", "iot").stdout
    assert "firmware-signer-" in out
    assert "ledger" not in out


def test_get_pods_watch_sees_a_new_pod(env: Env) -> None:
    watch = Streaming(env.argv("get", "pods", "-n", "default", "-w"))
    try:
        time.sleep(1.0)  # let the watch open before the pod exists
        env.run("run", "watched", "-n", "default", "--image=nginx:1.27.3")
        line = watch.wait_for(lambda line: line.startswith("watched"))
        assert line.split()[0] == "watched"
        watch.wait_for(lambda line: line.startswith("watched") and "Running" in line)
    finally:
        watch.close()


def test_auth_can_i_with_impersonation(env: Env) -> None:
    yes = env.run(
        "auth", "can-i", "delete", "pods", "-n", "payments", "--as", "alice", "--as-group", "payments-team"
    )
    assert yes.stdout.strip() == "yes"
    no = env.run("auth", "can-i", "delete", "pods", "-n", "payments", "--as", "bob", check=False)
    assert (no.stdout.strip(), no.returncode) == ("no", 1)
    viewer = env.run("auth", "can-i", "list", "pods", "-A", "--as", "carol", "--as-group", "developers")
    assert viewer.stdout.strip() == "yes"


def test_auth_whoami(env: Env) -> None:
    out = env.run("auth", "whoami").stdout
    assert "sandbox-admin" in out
    assert "system:masters" in out


def test_api_resources_lists_builtins_and_crds(env: Env) -> None:
    rows = [line.split() for line in env.run("api-resources").stdout.splitlines()[1:]]
    names = {row[0]: row for row in rows}
    assert names["pods"][-1] == "Pod"
    assert "apps/v1" in names["deployments"]
    assert names["nodepools"][1:3] == ["karpenter.sh/v1", "false"]


def test_get_nodepools_uses_the_crd_printer_columns(env: Env) -> None:
    lines = env.run("get", "nodepools").stdout.splitlines()
    assert lines[0].split() == ["NAME", "NODECLASS", "NODES", "READY", "AGE"]
    general = next(line.split() for line in lines if line.startswith("general"))
    assert general[1:4] == ["default", "3", "True"]


def test_explain_reads_the_openapi_schema(env: Env) -> None:
    out = env.run("explain", "pods.spec").stdout
    assert "KIND:" in out
    assert "Pod" in out
    assert "containers" in out


def test_server_side_apply_twice_then_conflict(env: Env, tmp_path: Path) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-demo\n  namespace: default\n"
                        "data:\n  color: blue\n")
    first = env.run("apply", "--server-side", "-f", str(manifest))
    assert "configmap/ssa-demo serverside-applied" in first.stdout
    again = env.run("apply", "--server-side", "-f", str(manifest))
    assert "serverside-applied" in again.stdout
    manifest.write_text(manifest.read_text().replace("blue", "red"))
    clash = env.run("apply", "--server-side", "--field-manager", "intruder", "-f", str(manifest), check=False)
    assert clash.returncode != 0
    assert "conflict" in clash.stderr.lower()
    assert '.data.color' in clash.stderr
    env.run("apply", "--server-side", "--field-manager", "intruder", "--force-conflicts", "-f", str(manifest))
    assert env.json("get", "configmap", "ssa-demo", "-n", "default")["data"] == {"color": "red"}


def test_client_side_apply_creates_a_deployment_that_runs(env: Env, tmp_path: Path) -> None:
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text("""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
        - name: hello
          image: nginx:1.27.3
""")
    assert "deployment.apps/hello created" in env.run("apply", "-f", str(manifest)).stdout
    assert "deployment.apps/hello unchanged" in env.run("apply", "-f", str(manifest)).stdout
    env.run("rollout", "status", "deployment/hello", "-n", "default", "--timeout=20s")
    pods = env.json("get", "pods", "-n", "default", "-l", "app=hello")["items"]
    assert [p["status"]["phase"] for p in pods] == ["Running", "Running"]


def test_scale_deployment(env: Env) -> None:
    env.run("scale", "deployment", "ledger", "-n", "payments", "--replicas=5")

    def scaled() -> bool:
        status = env.json("get", "deployment", "ledger", "-n", "payments")["status"]
        return status.get("readyReplicas") == 5 and status.get("updatedReplicas") == 5

    eventually(scaled)
    assert len(env.json("get", "pods", "-n", "payments", "-l", "app=ledger")["items"]) == 5
    env.run("scale", "deployment", "ledger", "-n", "payments", "--replicas=3")
    eventually(lambda: len(env.json("get", "pods", "-n", "payments", "-l", "app=ledger")["items"]) == 3)


def test_logs_follow_streams_new_lines(env: Env) -> None:
    name = pod_of(env, "checkout", "web")
    follow = Streaming(env.argv("logs", "-f", "-n", "checkout", name))
    try:
        follow.wait_for(lambda line: "start worker processes" in line)
        follow.wait_for(lambda line: '"GET ' in line, timeout=10)
    finally:
        follow.close()


def test_exec_runs_a_command(env: Env) -> None:
    name = pod_of(env, "payments", "payments-api")
    assert env.run("exec", "-n", "payments", name, "--", "echo", "hi").stdout == "hi\n"
    failed = env.run("exec", "-n", "payments", name, "--", "sh", "-c", "exit 3", check=False)
    assert failed.returncode == 3


def test_exec_interactive_stdin(env: Env) -> None:
    name = pod_of(env, "payments", "ledger")
    script = "echo $HOSTNAME\ncat /etc/hostname\n"
    result = env.run("exec", "-i", "-n", "payments", name, "--", "sh", input=script)
    assert result.stdout.splitlines() == [name, name]


def test_exec_into_distroless_fails_like_a_real_cluster(env: Env) -> None:
    name = pod_of(env, "iot", "firmware-signer", context="edge")
    result = env.run("--context", "edge", "exec", "-n", "iot", name, "--", "sh", check=False)
    assert result.returncode != 0
    assert 'exec: "sh": executable file not found in $PATH' in result.stderr


def test_delete_pod(env: Env) -> None:
    env.run("run", "doomed", "-n", "default", "--image=busybox:1.36")
    assert 'pod "doomed" deleted' in env.run("delete", "pod", "doomed", "-n", "default").stdout
    gone = env.run("get", "pod", "doomed", "-n", "default", check=False)
    assert gone.returncode == 1
    assert 'pods "doomed" not found' in gone.stderr
