"""The Helm release browser over real HTTP, on the demo fleet's releases stored as Helm stores them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import Console
from live_peers import LiveConsole, live_console

from periscope_core.domain.identity import Impersonation

RELEASES = "/api/clusters/{cluster}/helm/releases"
NGINX = "/api/clusters/prod/helm/releases/ingress-nginx/ingress-nginx"


@pytest.fixture(scope="module")
def live(console: Console, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    with live_console(console, tmp_path_factory.mktemp("helm")) as running:
        yield running


@pytest.fixture(scope="module")
def http(live: LiveConsole) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=20) as client:
        yield client


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


def test_the_list_shows_what_is_installed(http: httpx.Client) -> None:
    body = _ok(http.get(RELEASES.format(cluster="prod")))
    rows = [(r["namespace"], r["name"], r["chartName"], r["chartVersion"], r["appVersion"], r["revision"], r["status"])
            for r in body["releases"]]  # fmt: skip
    assert rows == [
        ("cert-manager", "cert-manager", "cert-manager", "v1.16.2", "v1.16.2", 1, "deployed"),
        ("ingress-nginx", "ingress-nginx", "ingress-nginx", "4.11.3", "1.11.3", 3, "deployed"),
        ("payments", "payments-api", "payments-api", "2.8.0", "2.8.0", 2, "failed"),  # not its older deployed one
    ]
    assert (body["truncated"], body["hiddenNamespaces"]) == (False, 0)
    assert all(r["updated"] for r in body["releases"])


def test_a_cluster_running_helm_with_configmaps(http: httpx.Client) -> None:
    body = _ok(http.get(RELEASES.format(cluster="edge")))
    assert [(r["namespace"], r["name"], r["chartName"]) for r in body["releases"]] == [("iot", "mqtt", "mosquitto")]
    detail = _ok(http.get("/api/clusters/edge/helm/releases/iot/mqtt"))
    assert [(r["kind"], r["name"]) for r in detail["resources"]] == [("StatefulSet", "mqtt")]


def test_the_newest_revision_in_full(http: httpx.Client) -> None:
    body = _ok(http.get(NGINX))
    assert (body["revision"], body["status"], body["chartVersion"], body["appVersion"]) == (3, "deployed", "4.11.3",
                                                                                           "1.11.3")  # fmt: skip
    assert "replicaCount: 3" in body["valuesYaml"]
    assert "ingressClassResource" not in body["valuesYaml"]  # the chart's defaults are not the user's values
    assert "ingress-nginx controller has been installed" in body["notes"]
    assert "# Source: ingress-nginx/templates/controller-deployment.yaml" in body["manifestYaml"]
    resources = {(r["kind"], r["namespace"], r["name"]) for r in body["resources"]}
    assert {("Deployment", "ingress-nginx", "ingress-nginx-controller"), ("ClusterRole", "", "ingress-nginx"),
            ("IngressClass", "", "nginx")} <= resources  # fmt: skip


def test_an_older_revision(http: httpx.Client) -> None:
    body = _ok(http.get(NGINX, params={"revision": 1}))
    assert (body["revision"], body["status"], body["chartVersion"]) == (1, "superseded", "4.10.1")
    assert "controller:v1.10.1" in body["manifestYaml"]


def test_the_objects_a_release_declares_are_in_the_cluster(http: httpx.Client) -> None:
    # The generic browse routes still answer beside /helm, and the live Deployment is the one installed.
    response = http.get("/api/clusters/prod/deployments/ingress-nginx/ingress-nginx-controller")
    assert response.status_code == 200, response.text
    deployment = response.json()
    assert deployment["metadata"]["annotations"]["meta.helm.sh/release-name"] == "ingress-nginx"
    assert deployment["spec"]["replicas"] == 3
    assert http.get("/api/clusters/prod/pods").status_code == 200
    secrets = http.get("/api/clusters/prod/secrets", params={"namespace": "ingress-nginx"})
    assert secrets.status_code == 200, secrets.text
    assert {s["name"] for s in secrets.json()["items"]} >= {f"sh.helm.release.v1.ingress-nginx.v{n}" for n in (1, 2, 3)}


def test_history_newest_first_and_bounded(http: httpx.Client) -> None:
    body = _ok(http.get(f"{NGINX}/history"))
    assert [(r["revision"], r["status"], r["chartVersion"]) for r in body["revisions"]] == [
        (3, "deployed", "4.11.3"), (2, "superseded", "4.11.2"), (1, "superseded", "4.10.1")]
    assert body["total"] == 3
    two = _ok(http.get(f"{NGINX}/history", params={"max": 2}))
    assert ([r["revision"] for r in two["revisions"]], two["total"]) == ([3, 2], 3)
    for bad in (0, 101):
        response = http.get(f"{NGINX}/history", params={"max": bad})
        assert (response.status_code, response.json()["error"]) == (400, "E_INVALID_REQUEST")


def test_the_diff_of_the_last_upgrade(http: httpx.Client) -> None:
    body = _ok(http.get(f"{NGINX}/diff", params={"from": 2, "to": 3}))
    assert (body["fromRevision"], body["toRevision"]) == (2, 3)
    assert "replicas: 2" in body["fromManifest"]
    assert "replicas: 3" in body["toManifest"]
    changes = {(c["kind"], c["name"]): c for c in body["changes"]}
    assert {c["change"] for c in changes.values()} == {"modified"}
    fields = {f["path"]: (f["before"], f["after"]) for f in changes["Deployment", "ingress-nginx-controller"]["fields"]}
    assert fields[".spec.replicas"] == (2, 3)
    assert fields['.spec.template.spec.containers[name="controller"].image'] == (
        "registry.k8s.io/ingress-nginx/controller:v1.11.2", "registry.k8s.io/ingress-nginx/controller:v1.11.3")
    assert [(c["path"], c["before"], c["after"]) for c in body["valueChanges"]] == [
        (".controller.replicaCount", 2, 3)]
    missing = http.get(f"{NGINX}/diff", params={"from": 2})
    assert (missing.status_code, missing.json()["error"]) == (400, "E_INVALID_REQUEST")


def test_unknown_releases_and_revisions_are_json_404s(http: httpx.Client) -> None:
    for path, params in ((f"{RELEASES.format(cluster='prod')}/ingress-nginx/nope", {}), (NGINX, {"revision": 9}),
                         (f"{NGINX}/diff", {"from": 1, "to": 9})):  # fmt: skip
        response = http.get(path, params=params)
        assert (response.status_code, response.json()["error"]) == (404, "E_NOT_FOUND"), path
    response = http.get(RELEASES.format(cluster="nowhere"))
    assert (response.status_code, response.json()["error"]) == (404, "E_CLUSTER_NOT_FOUND")


def test_each_view_of_values_is_audited(live: LiveConsole, http: httpx.Client) -> None:
    _ok(http.get("/api/clusters/prod/helm/releases/payments/payments-api"))
    _ok(http.get("/api/clusters/prod/helm/releases/payments/payments-api/diff", params={"from": 1, "to": 2}))
    _ok(http.get("/api/clusters/prod/helm/releases/payments/payments-api/history"))
    _ok(http.get(RELEASES.format(cluster="prod")))
    rows = [e for e in live.audit.events if e.verb == "helm_read" and e.resource.name == "payments-api"]
    assert [(e.extra, e.outcome) for e in rows] == [
        ({"op": "detail", "revision": 2}, "success"), ({"op": "diff", "from": 1, "to": 2}, "success")]
    assert (rows[0].cluster, rows[0].resource.namespace, rows[0].resource.resource) == ("prod", "payments", "releases")
    assert rows[0].route == "getHelmRelease"


def test_a_team_sees_the_releases_of_its_own_namespaces(console: Console, tmp_path: Any) -> None:
    # Developers read the cluster but not its Secrets; payments-team edits payments, Secrets included.
    team = Impersonation(user="dana", groups=("periscope:developers", "periscope:payments-team"))
    with live_console(console, tmp_path, dev_impersonation=team) as running, \
            httpx.Client(base_url=running.url, timeout=20) as client:  # fmt: skip
        body = _ok(client.get(RELEASES.format(cluster="prod")))
        assert [(r["namespace"], r["name"]) for r in body["releases"]] == [("payments", "payments-api")]
        assert body["hiddenNamespaces"] > 0
        denied = client.get(NGINX)
        assert (denied.status_code, denied.json()["error"]) == (403, "E_FORBIDDEN")
