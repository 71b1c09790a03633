"""The Helm release browser's service against an in-process sandbox: storage drivers, RBAC, caps and revisions."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import pytest

from periscope_adapters.sandbox import ADMIN_USER, ApiServer, InProcessTransport
from periscope_adapters.sandbox._demo_helm import release_object
from periscope_adapters.sandbox._manifests import binding, cluster_role, namespace
from periscope_core.domain.clusters import ClusterEntry, ClusterRegistry
from periscope_core.domain.errors import Forbidden, InvalidRequest
from periscope_core.domain.helm_release import ReleaseNotFound, ReleaseTooLarge, storage_name
from periscope_core.domain.identity import Impersonation
from periscope_core.domain.tier_rbac import periscope_rbac_objects, tier_group
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.helm import LIST_CAP, HelmService
from periscope_core.testing.backends import StaticBackend

ADMIN = Impersonation(user="root", groups=(tier_group("admin"),))
READ_TIER = Impersonation(user="reader", groups=(tier_group("read"),))
"""May list ConfigMaps but not Secrets, like the read tier of any cluster."""
TEAM_A = Impersonation(user="ann", groups=("viewers", "team-a-editors"))
"""Reads the cluster (Secrets excluded) and edits team-a, Secrets included."""


def _manifest(replicas: int, image: str) -> str:
    return f"""---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  template:
    spec:
      containers:
      - name: app
        image: {image}
---
# Source: web/templates/clusterrole.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: web
"""


def _record(name: str, ns: str, version: int, status: str = "deployed", *, replicas: int = 1,
            image: str = "web:1") -> dict[str, Any]:  # fmt: skip
    return {
        "name": name, "namespace": ns, "version": version,
        "info": {"first_deployed": "2025-01-01T00:00:00Z", "last_deployed": f"2025-01-{version:02d}T00:00:00Z",
                 "deleted": "0001-01-01T00:00:00Z", "description": f"revision {version}", "status": status,
                 "notes": f"{name} notes"},
        "chart": {"metadata": {"name": "web", "version": f"1.0.{version}", "appVersion": image.split(":")[1]},
                  "values": {"replicaCount": 1}},
        "config": {"replicaCount": replicas},
        "manifest": _manifest(replicas, image),
    }  # fmt: skip


@pytest.fixture
def api() -> ApiServer:
    api = ApiServer(name="c1")
    for obj in periscope_rbac_objects():
        api.create_object(obj)
    for ns in ("shop", "team-a", "team-b"):
        api.create_object(namespace(ns))
    api.create_object(binding("viewers", "view", group="viewers"))
    api.create_object(binding("team-a-edit", "edit", group="team-a-editors", namespace="team-a"))
    return api


def _store(api: ApiServer, *records: dict[str, Any], driver: str = "secret") -> None:
    for record in records:
        api.create_object(release_object(record, driver=driver))  # type: ignore[arg-type]


def _service(api: ApiServer, **kwargs: Any) -> HelmService:
    registry = ClusterRegistry(clusters=(ClusterEntry(name="c1", backend="static"),))
    directory = ClusterDirectory(registry, {"static": StaticBackend(InProcessTransport(api, ADMIN_USER))})
    return HelmService(directory, **kwargs)


def _rows(listing: Any) -> list[tuple[str, str, int, str]]:
    return [(r.namespace, r.name, r.revision, r.status) for r in listing.releases]


async def test_each_release_at_its_newest_revision_sorted_by_namespace_and_name(api: ApiServer) -> None:
    _store(api, _record("web", "shop", 1, "superseded"), _record("web", "shop", 2),
           _record("api", "shop", 1), _record("api", "shop", 2, "failed"),  # the failed upgrade is what matters
           _record("gone", "shop", 1, "uninstalled"), _record("jobs", "team-a", 1))  # fmt: skip
    listing = await _service(api).releases("c1", as_=ADMIN)
    assert _rows(listing) == [("shop", "api", 2, "failed"), ("shop", "web", 2, "deployed"),
                              ("team-a", "jobs", 1, "deployed")]  # fmt: skip
    web = listing.releases[1]
    assert (web.chart_name, web.chart_version, web.app_version, web.updated) == (
        "web", "1.0.2", "1", "2025-01-02T00:00:00Z")  # fmt: skip
    assert (listing.truncated, listing.hidden_namespaces) == (False, 0)


async def test_the_list_stops_at_its_cap(api: ApiServer) -> None:
    _store(api, *(_record(f"r{i:03d}", "shop", 1) for i in range(LIST_CAP + 5)))
    listing = await _service(api).releases("c1", as_=ADMIN)
    assert (len(listing.releases), listing.truncated) == (LIST_CAP, True)
    assert listing.releases[-1].name == f"r{LIST_CAP - 1:03d}"


async def test_an_unreadable_release_is_listed_with_its_problem(api: ApiServer) -> None:
    _store(api, _record("web", "shop", 1))
    bomb = release_object(_record("bomb", "shop", 1))
    inflated = b'{"manifest": "' + b" " * (9 << 20) + b'"}'
    bomb["data"]["release"] = base64.b64encode(base64.b64encode(gzip.compress(inflated))).decode()
    api.create_object(bomb)
    listing = await _service(api).releases("c1", as_=ADMIN)
    rows = {r.name: r for r in listing.releases}
    assert (rows["bomb"].status, rows["bomb"].revision) == ("deployed", 1)  # from its labels
    assert "more than 8 MiB" in rows["bomb"].problem
    assert rows["web"].problem == ""
    with pytest.raises(ReleaseTooLarge):
        await _service(api).release("c1", "shop", "bomb", as_=ADMIN)


async def test_detail_newest_or_by_revision(api: ApiServer) -> None:
    _store(api, _record("web", "shop", 1, "superseded", replicas=2),
           _record("web", "shop", 2, replicas=3, image="web:2"))  # fmt: skip
    service = _service(api)
    newest = await service.release("c1", "shop", "web", as_=ADMIN)
    assert (newest.revision, newest.status, newest.chart_version, newest.app_version) == (2, "deployed", "1.0.2", "2")
    assert newest.values_yaml == "replicaCount: 3\n"  # the user's values, not the chart's defaults
    assert newest.notes == "web notes"
    assert "image: web:2" in newest.manifest_yaml
    assert [(r.api_version, r.kind, r.namespace, r.name) for r in newest.resources] == [
        ("apps/v1", "Deployment", "shop", "web"), ("rbac.authorization.k8s.io/v1", "ClusterRole", "", "web")]
    first = await service.release("c1", "shop", "web", revision=1, as_=ADMIN)
    assert (first.revision, first.status, first.values_yaml) == (1, "superseded", "replicaCount: 2\n")


async def test_history_is_newest_first_by_number_not_by_name(api: ApiServer) -> None:
    # The apiserver lists sh.helm.release.v1.web.v10 before ...v2: order comes from the revision numbers.
    _store(api, *(_record("web", "shop", n, "deployed" if n == 12 else "superseded") for n in range(1, 13)))
    service = _service(api)
    history = await service.history("c1", "shop", "web", as_=ADMIN)
    assert [r.revision for r in history.revisions] == list(range(12, 2, -1))
    assert history.total == 12
    assert history.revisions[0].status == "deployed"
    assert history.revisions[1].description == "revision 11"
    everything = await service.history("c1", "shop", "web", max_=100, as_=ADMIN)
    assert [r.revision for r in everything.revisions][-3:] == [3, 2, 1]
    assert (await service.release("c1", "shop", "web", as_=ADMIN)).revision == 12


async def test_unknown_releases_and_revisions_and_names_helm_would_refuse(api: ApiServer) -> None:
    _store(api, _record("web", "shop", 1))
    service = _service(api)
    with pytest.raises(ReleaseNotFound, match="no Helm release shop/nope"):
        await service.release("c1", "shop", "nope", as_=ADMIN)
    with pytest.raises(ReleaseNotFound, match="revision 9"):
        await service.release("c1", "shop", "web", revision=9, as_=ADMIN)
    with pytest.raises(ReleaseNotFound):
        await service.history("c1", "team-a", "web", as_=ADMIN)  # same name, other namespace
    with pytest.raises(InvalidRequest):
        await service.history("c1", "shop", "web,owner!=helm", as_=ADMIN)
    # A Secret that merely has a release's storage name is not a release.
    api.create_object({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": storage_name("web", 2),
                       "namespace": "shop"}, "data": {}})  # fmt: skip
    with pytest.raises(ReleaseNotFound):
        await service.release("c1", "shop", "web", revision=2, as_=ADMIN)


async def test_a_caller_who_cannot_list_secrets_everywhere_sees_their_namespaces(api: ApiServer) -> None:
    _store(api, _record("web", "shop", 1), _record("jobs", "team-a", 1), _record("etl", "team-b", 1))
    service = _service(api)
    listing = await service.releases("c1", as_=TEAM_A)
    assert _rows(listing) == [("team-a", "jobs", 1, "deployed")]
    every_namespace = len(api.list_objects("", "namespaces"))
    assert listing.hidden_namespaces == every_namespace - 1
    assert (await service.release("c1", "team-a", "jobs", as_=TEAM_A)).revision == 1
    with pytest.raises(Forbidden):
        await service.release("c1", "shop", "web", as_=TEAM_A)
    with pytest.raises(Forbidden):  # no namespace readable: a denial, not an empty list
        await service.releases("c1", as_=READ_TIER)
    with pytest.raises(Forbidden):  # may not even list namespaces
        await service.releases("c1", as_=Impersonation(user="stranger"))


async def test_one_caller_s_probe_never_decides_for_another(api: ApiServer) -> None:
    # The original remembered the storage per cluster, as found by whoever asked first.
    _store(api, _record("web", "shop", 1))
    _store(api, _record("broker", "team-b", 1), driver="configmap")  # one team runs HELM_DRIVER=configmap
    api.create_object(cluster_role("configmap-reader", [{"apiGroups": [""], "resources": ["configmaps"],
                                                          "verbs": ["get", "list"]}]))  # fmt: skip
    api.create_object(binding("bea-configmaps", "configmap-reader", user="bea", namespace="team-b"))
    service = _service(api)
    assert (await service.release("c1", "team-b", "broker", as_=Impersonation(user="bea"))).revision == 1
    assert _rows(await service.releases("c1", as_=ADMIN)) == [("shop", "web", 1, "deployed")]


async def test_a_denial_is_not_masked_by_someone_else_s_answer(api: ApiServer) -> None:
    _store(api, _record("web", "shop", 1))
    service = _service(api)
    with pytest.raises(Forbidden):
        await service.releases("c1", as_=READ_TIER)
    assert _rows(await service.releases("c1", as_=ADMIN)) == [("shop", "web", 1, "deployed")]
    with pytest.raises(Forbidden):
        await service.releases("c1", as_=READ_TIER)


async def test_releases_kept_in_configmaps(api: ApiServer) -> None:
    _store(api, _record("broker", "shop", 1, "superseded"), _record("broker", "shop", 2), driver="configmap")
    service = _service(api)
    assert _rows(await service.releases("c1", as_=ADMIN)) == [("shop", "broker", 2, "deployed")]
    assert (await service.release("c1", "shop", "broker", revision=1, as_=ADMIN)).status == "superseded"
    # The read tier may list ConfigMaps: releases kept there are theirs to see.
    assert _rows(await service.releases("c1", as_=READ_TIER)) == [("shop", "broker", 2, "deployed")]


async def test_the_storage_found_is_remembered_per_caller_for_a_while(api: ApiServer) -> None:
    now = [0.0]
    service = _service(api, clock=lambda: now[0])
    _store(api, _record("broker", "shop", 1), driver="configmap")
    assert _rows(await service.releases("c1", as_=ADMIN)) == [("shop", "broker", 1, "deployed")]
    # The operators move Helm to Secrets; the remembered storage holds for five minutes.
    api.delete_object("v1", "configmaps", "shop", storage_name("broker", 1))
    _store(api, _record("broker", "shop", 1))
    assert _rows(await service.releases("c1", as_=ADMIN)) == []
    other_admin = Impersonation(user="other-admin", groups=ADMIN.groups)
    assert _rows(await service.releases("c1", as_=other_admin)) == [("shop", "broker", 1, "deployed")]
    now[0] = 301.0
    assert _rows(await service.releases("c1", as_=ADMIN)) == [("shop", "broker", 1, "deployed")]


async def test_diff_of_two_revisions(api: ApiServer) -> None:
    _store(api, _record("web", "shop", 1, "superseded", replicas=2), _record("web", "shop", 2, replicas=3,
                                                                             image="web:2"))  # fmt: skip
    result = await _service(api).diff("c1", "shop", "web", from_=1, to=2, as_=ADMIN)
    assert (result.from_revision, result.to_revision) == (1, 2)
    assert "replicas: 2" in result.from_manifest
    assert "replicas: 3" in result.to_manifest
    [deployment] = result.changes
    assert (deployment.change, deployment.kind, deployment.namespace, deployment.name) == (
        "modified", "Deployment", "shop", "web")  # fmt: skip
    assert [(f.path, f.before, f.after) for f in deployment.fields] == [
        (".spec.replicas", 2, 3), ('.spec.template.spec.containers[name="app"].image', "web:1", "web:2")]
    assert [(c.path, c.before, c.after) for c in result.value_changes] == [(".replicaCount", 2, 3)]
    assert (result.from_values, result.to_values) == ("replicaCount: 2\n", "replicaCount: 3\n")
    with pytest.raises(ReleaseNotFound):
        await _service(api).diff("c1", "shop", "web", from_=1, to=5, as_=ADMIN)
