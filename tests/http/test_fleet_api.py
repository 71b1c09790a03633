"""``/api/fleet`` over real HTTP, on the sandbox fleet, with one cluster that cannot be reached."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from conftest import Console
from live_peers import LiveConsole, live_console


def test_every_cluster_has_a_card_with_its_counts(http: httpx.Client) -> None:
    response = http.get("/api/fleet")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    names = [c["name"] for c in http.get("/api/clusters").json()["clusters"]]
    assert [c["name"] for c in body["clusters"]] == names
    for card in body["clusters"]:
        assert card["status"] in ("healthy", "degraded"), card
        nodes = http.get(f"/api/clusters/{card['name']}/nodes").json()["items"]
        namespaces = http.get(f"/api/clusters/{card['name']}/namespaces").json()["items"]
        assert card["summary"]["nodes"]["total"] == len(nodes)
        assert card["summary"]["namespaces"] == len(namespaces)
        assert card["kubernetesVersion"].startswith("v1.")
        assert "lastContact" in card
    # The demo fleet keeps some pods failing on purpose.
    assert any(card["hotSignals"] for card in body["clusters"])
    rollup = body["rollup"]
    assert rollup["totalClusters"] == len(names)
    assert sum(rollup["byStatus"].values()) == len(names)


@pytest.fixture(scope="module")
def with_a_dead_cluster(console: Console, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    workdir = tmp_path_factory.mktemp("fleet-dead")
    registry: dict[str, Any] = yaml.safe_load((console.workdir / "clusters.yaml").read_text())
    kubeconfig = workdir / "dead.kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "dead",
        "clusters": [{"name": "dead", "cluster": {"server": "https://127.0.0.1:9", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}],
    }))  # fmt: skip
    registry["clusters"].append({"name": "gone", "backend": "kubeconfig", "kubeconfigPath": str(kubeconfig),
                                 "environment": "lab"})  # fmt: skip
    path = workdir / "clusters.yaml"
    path.write_text(yaml.safe_dump(registry))
    with live_console(console, workdir, clusters_file=str(path)) as running:
        yield running


def test_an_unreachable_cluster_is_one_card_in_error(with_a_dead_cluster: LiveConsole) -> None:
    with httpx.Client(base_url=with_a_dead_cluster.url, timeout=20) as http:
        body = http.get("/api/fleet").json()
    gone = body["clusters"][-1]
    assert (gone["name"], gone["status"], gone["error"]["code"]) == ("gone", "unreachable", "apiserver_unreachable")
    assert "summary" not in gone
    assert "lastContact" not in gone
    assert {c["status"] for c in body["clusters"][:-1]} <= {"healthy", "degraded"}
    assert body["rollup"]["byStatus"]["unreachable"] == 1
    assert body["rollup"]["byEnvironment"]["lab"] == 1


def test_the_path_is_json_even_when_unknown(http: httpx.Client) -> None:
    response = http.get("/api/fleet/nope")
    assert response.status_code == 404
    assert response.json()["error"]


