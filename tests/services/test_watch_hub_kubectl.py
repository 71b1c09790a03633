"""The acceptance check: a pod created with the real kubectl reaches every stream as ``added``.

The fleet listens on loopback with TLS; kubectl runs as a subprocess. The hub reaches the
cluster through the kubeconfig backend, exactly as ``periscope serve`` does, and in-process.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from periscope_adapters.kube.kubeconfig import KubeconfigBackend
from periscope_adapters.sandbox import ClusterSpec, SandboxFleet
from periscope_core.domain.identity import BRIDGE
from periscope_core.ports.backends import BackendContext
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.kube import KubeClient
from periscope_core.services.registry import load_registry
from periscope_core.services.watch_hub import WatchHub, kind_target

from .helpers import Reader

KUBECTL = Path("/usr/bin/kubectl")
pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl is not installed at /usr/bin/kubectl"),
]
MANIFEST = """
apiVersion: v1
kind: Pod
metadata: {name: from-kubectl, namespace: default, labels: {app: demo}}
spec: {containers: [{name: app, image: nginx:1.27}]}
"""


class _InProcess:
    def __init__(self, fleet: SandboxFleet) -> None:
        self.kube = KubeClient(fleet.clusters["c1"].transport(), cluster="c1")

    async def client(self, name: str) -> KubeClient:
        return self.kube

    async def aclose(self) -> None:
        await self.kube.aclose()


def _directory(fleet: SandboxFleet, tmp_path: Path, kubeconfig: Path) -> ClusterDirectory:
    registry = load_registry(fleet.write_registry(tmp_path / "clusters.yaml", kubeconfig))
    return ClusterDirectory(registry, {"kubeconfig": KubeconfigBackend()}, BackendContext(registry_dir=str(tmp_path)))


@pytest.mark.parametrize("reach", ["kubeconfig", "in-process"])
async def test_a_kubectl_created_pod_is_added_on_every_subscriber_within_a_second(tmp_path: Path, reach: str) -> None:
    spec = ClusterSpec("c1", lambda seed: None)
    async with SandboxFleet.start([spec], churn=False) as fleet:
        kubeconfig = fleet.write_kubeconfig(tmp_path / "kubeconfig")
        clients = _directory(fleet, tmp_path, kubeconfig) if reach == "kubeconfig" else _InProcess(fleet)
        try:
            async with WatchHub(clients) as hub, anyio.create_task_group() as tg:
                target = kind_target("c1", "pods", namespace="default")
                readers = [Reader(await hub.subscribe(target, as_=BRIDGE, actor=f"user-{i}")) for i in range(3)]
                for reader in readers:
                    tg.start_soon(reader.run)
                    await reader.wait_events("snapshot")
                result = await anyio.run_process(
                    [str(KUBECTL), "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache"),
                     "create", "-f", "-"], input=MANIFEST.encode(), check=False)
                assert result.returncode == 0, result.stderr.decode()
                created = anyio.current_time()
                for reader in readers:
                    await reader.wait_for(lambda r: "added" in r.names(), timeout=1.0)
                    added = reader.names().index("added")
                    assert reader.data(added)["object"]["name"] == "from-kubectl"
                    assert reader.arrived[added] - created < 1.0
                stats = fleet.clusters["c1"].api.watch_stats()
                assert sum(n for key, n in stats.opened.items() if key.resource == "pods") == 1
                tg.cancel_scope.cancel()
        finally:
            await clients.aclose()
