"""Signed-in people reach the sandbox fleet as themselves: tier mode, impersonation, and the RBAC pre-flight.

A console in tier mode runs next to the session's (same fleet, whose demo clusters
carry Periscope's tier roles), signing people in at a real OpenID provider. The
cluster's verdicts are read independently, as the sandbox admin asking the
apiserver for a review in the person's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from anyio.from_thread import start_blocking_portal
from auth_peers import Browser, Consoles, Running, auth_file, run_idp

from periscope_core.domain.tier_rbac import tier_group
from periscope_entrypoints.bootstrap import Settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's authlib, on its thread

USERS = {
    "alice": {"email": "alice@example.com", "groups": ["periscope-users", "sre"]},
    "bob": {"email": "bob@example.com", "groups": ["periscope-users", "devs"]},
    "dave": {"email": "dave@example.com", "groups": ["periscope-users"]},
}
TIERS = {"alice": "admin", "bob": "read", "dave": ""}
CLUSTER, NS = "prod", "payments"
POD = f"/api/clusters/{CLUSTER}/resources/core/v1/pods/{NS}"


@pytest.fixture(scope="module")
def tier_console(console: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    workdir = tmp_path_factory.mktemp("tier-console")
    with run_idp(USERS) as idp, start_blocking_portal() as portal:
        path = auth_file(workdir / "auth.yaml", idp, authorization={
            "mode": "tier", "allowedGroups": ["periscope-users"], "groupTiers": {"sre": "admin", "devs": "read"},
        })  # fmt: skip
        consoles = Consoles(portal)
        yield consoles.start(Settings(clusters_file=str(console.workdir / "clusters.yaml"), auth_file=str(path),
                                      data_dir=str(workdir)))
        consoles.stop_all()


@pytest.fixture(scope="module")
def people(tier_console: Running) -> Iterator[dict[str, Browser]]:
    signed_in = {sub: Browser(tier_console.url) for sub in USERS}
    for sub, browser in signed_in.items():
        assert browser.sign_in(sub).status_code == 302
    yield signed_in
    for browser in signed_in.values():
        browser.close()


def cluster_allows(console: Any, sub: str, check: dict[str, str]) -> bool:
    """The sandbox's own verdict for ``sub`` as tier mode impersonates them."""
    cluster = console.fleet.clusters[CLUSTER]
    headers = {"Authorization": f"Bearer {cluster.admin_token}", "Impersonate-User": sub}
    if TIERS[sub]:
        headers["Impersonate-Group"] = tier_group(TIERS[sub])
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
              "spec": {"resourceAttributes": {k: v for k, v in check.items() if v}}}
    with httpx.Client(base_url=cluster.url, verify=console.fleet.ca.client_ssl_context(), timeout=20) as api:
        response = api.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", json=review, headers=headers)
    response.raise_for_status()
    allowed: bool = response.json()["status"]["allowed"]
    return allowed


def test_list_calls_run_as_the_signed_in_person(people: dict[str, Browser]) -> None:
    listed = people["bob"].http.get(f"/api/clusters/{CLUSTER}/pods", params={"namespace": NS})
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"]
    # The bridge may list pods; a person with no tier may not, so the call was made as them.
    refused = people["dave"].http.get(f"/api/clusters/{CLUSTER}/pods", params={"namespace": NS})
    assert refused.status_code == 403, refused.text
    assert "dave" in refused.json()["message"]


def test_a_read_tier_delete_is_refused_and_an_admin_delete_is_not(people: dict[str, Browser]) -> None:
    alice, bob = people["alice"], people["bob"]
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "imp-target", "namespace": NS},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}
    created = alice.http.patch(f"{POD}/imp-target", content=yaml.safe_dump(manifest), headers={
        "Content-Type": "application/yaml", "Origin": str(alice.http.base_url), "X-CSRF-Token": alice.csrf})
    assert created.status_code == 200, created.text

    assert bob.http.delete(f"{POD}/imp-target", headers={"X-CSRF-Token": bob.csrf}).status_code == 403
    # Impersonation is built from the session alone; a client's own headers never reach the cluster.
    smuggled = bob.http.delete(f"{POD}/imp-target", headers={
        "X-CSRF-Token": bob.csrf, "Impersonate-User": "sandbox-admin", "Impersonate-Group": "system:masters"})
    assert smuggled.status_code == 403, smuggled.text
    assert alice.http.delete(f"{POD}/imp-target", headers={"X-CSRF-Token": alice.csrf}).status_code == 204


CHECKS = [
    {"verb": "list", "group": "", "resource": "pods", "namespace": NS},
    {"verb": "get", "group": "", "resource": "pods", "namespace": NS},
    {"verb": "delete", "group": "", "resource": "pods", "namespace": NS},
    {"verb": "patch", "group": "apps", "resource": "deployments", "namespace": NS},
    {"verb": "get", "group": "", "resource": "secrets", "namespace": NS},
    {"verb": "create", "group": "", "resource": "pods", "subresource": "exec", "namespace": NS, "name": "x"},
    {"verb": "list", "group": "", "resource": "nodes"},
]


@pytest.mark.parametrize("sub", ["alice", "bob", "dave"])
def test_can_i_answers_as_the_cluster_does(console: Any, people: dict[str, Browser], sub: str) -> None:
    browser = people[sub]
    answered = browser.post(f"/api/clusters/{CLUSTER}/can-i", json={"checks": CHECKS})
    assert answered.status_code == 200, answered.text
    results = answered.json()["results"]
    assert [r["allowed"] for r in results] == [cluster_allows(console, sub, check) for check in CHECKS]
    assert all(r["reason"] == ("" if r["allowed"] else "denied") for r in results)


def test_can_i_lists_where_a_denied_action_is_allowed(people: dict[str, Browser]) -> None:
    check = {"verb": "delete", "group": "", "resource": "pods", "namespace": NS}
    (result,) = people["bob"].post(f"/api/clusters/{CLUSTER}/can-i", json={"checks": [check]}).json()["results"]
    assert (result["allowed"], result["namespaces"]) == (False, [])


def test_can_i_refuses_the_anonymous_and_too_many_checks(tier_console: Running, people: dict[str, Browser]) -> None:
    with httpx.Client(base_url=tier_console.url, timeout=20) as anonymous:
        answered = anonymous.post(f"/api/clusters/{CLUSTER}/can-i", json={"checks": CHECKS[:2]})
    assert answered.status_code == 200
    assert [(r["allowed"], r["reason"]) for r in answered.json()["results"]] == [(False, "unauthenticated")] * 2
    too_many = people["bob"].post(f"/api/clusters/{CLUSTER}/can-i", json={"checks": CHECKS[:1] * 65})
    assert too_many.status_code == 400
    assert "limit 64" in too_many.json()["message"]
    unknown = people["bob"].post("/api/clusters/nowhere/can-i", json={"checks": []})
    assert unknown.status_code == 404
