"""PATCH in its four formats, server-side apply over HTTP, and the scale subresource."""

from __future__ import annotations

import json

import pytest
from engine_client import Client, Clock, configmap, deployment

from periscope_adapters.sandbox._engine import ApiServer

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments/web"
CM = "/api/v1/namespaces/default/configmaps/cfg"


@pytest.fixture
def api() -> ApiServer:
    server = ApiServer(name="patch", clock=Clock())
    server.create_object(deployment("web", replicas=2))
    return server


@pytest.fixture
def client(api: ApiServer) -> Client:
    return Client(api)


async def test_merge_and_json_patches(client: Client) -> None:
    body = {"metadata": {"labels": {"tier": "web"}}, "spec": {"replicas": 3}}
    merged = await client.patch(DEPLOY, body, MERGE)
    assert merged.status == 200
    assert (merged.json["metadata"]["labels"], merged.json["spec"]["replicas"]) == ({"tier": "web"}, 3)
    assert merged.json["metadata"]["generation"] == 2
    replace = [{"op": "replace", "path": "/spec/replicas", "value": 5}]
    patched = await client.patch(DEPLOY, replace, JSON_PATCH)
    assert patched.json["spec"]["replicas"] == 5
    failed = await client.patch(DEPLOY, [{"op": "test", "path": "/spec/replicas", "value": 1}], JSON_PATCH)
    assert failed.status == 422
    assert (await client.get(DEPLOY)).json["spec"]["replicas"] == 5


async def test_strategic_merge_keeps_containers_by_name(client: Client) -> None:
    sidecar = {"spec": {"template": {"spec": {"containers": [{"name": "log", "image": "busybox"}]}}}}
    patched = await client.patch(DEPLOY, sidecar, STRATEGIC)
    containers = patched.json["spec"]["template"]["spec"]["containers"]
    assert {c["name"]: c["image"] for c in containers} == {"app": "nginx:1", "log": "busybox"}
    image = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:2"}]}}}}
    updated = await client.patch(DEPLOY, image, STRATEGIC)
    containers = updated.json["spec"]["template"]["spec"]["containers"]
    assert {c["name"]: c["image"] for c in containers} == {"app": "nginx:2", "log": "busybox"}


async def test_patch_preconditions_media_types_and_missing_objects(client: Client) -> None:
    stale = await client.patch(DEPLOY, {"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 1}}, MERGE)
    assert stale.status == 409
    unknown = await client.patch(DEPLOY, {}, "application/xml")
    assert unknown.status == 415
    assert unknown.json["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, "
        "application/apply-patch+yaml")
    missing = await client.patch("/apis/apps/v1/namespaces/default/deployments/ghost", {}, MERGE)
    assert missing.json["message"] == 'deployments.apps "ghost" not found'
    renamed = await client.patch(DEPLOY, {"metadata": {"name": "other"}}, MERGE)
    assert renamed.status == 400
    forced = await client.patch(DEPLOY, {}, MERGE, query=[("force", "true")])
    assert forced.json["message"] == ('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be '
                                      "specified for non-apply patch")


def applied(value: str) -> bytes:
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: default\n"
    return f"{head}data:\n  k: {value}\n".encode()


async def test_server_side_apply_creates_updates_conflicts_and_forces(client: Client) -> None:
    created = await client.patch(CM, applied("one"), APPLY, query=[("fieldManager", "alice")])
    assert created.status == 201
    entry = created.json["metadata"]["managedFields"][0]
    assert (entry["manager"], entry["operation"]) == ("alice", "Apply")
    assert entry["fieldsV1"] == {"f:data": {"f:k": {}}}
    same = await client.patch(CM, applied("one"), APPLY, query=[("fieldManager", "alice")])
    assert same.json["metadata"]["resourceVersion"] == created.json["metadata"]["resourceVersion"]
    conflict = await client.patch(CM, applied("two"), APPLY, query=[("fieldManager", "bob")])
    assert conflict.status == 409
    assert conflict.json["message"] == 'Apply failed with 1 conflict: conflict with "alice": .data.k'
    assert conflict.json["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "alice"', "field": ".data.k"}]
    forced = await client.patch(CM, applied("two"), APPLY, query=[("fieldManager", "bob"), ("force", "true")])
    assert forced.json["data"] == {"k": "two"}
    assert [m["manager"] for m in forced.json["metadata"]["managedFields"]] == ["bob"]
    nameless = await client.patch(CM, applied("three"), APPLY)
    assert nameless.json["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')


async def test_updates_record_their_manager_next_to_appliers(client: Client) -> None:
    await client.patch(CM, applied("one"), APPLY, query=[("fieldManager", "alice")])
    labelled = await client.patch(CM, {"metadata": {"labels": {"x": "y"}}}, MERGE,
                                  query=[("fieldManager", "kubectl-label")])
    managers = {m["manager"]: m["operation"] for m in labelled.json["metadata"]["managedFields"]}
    assert managers == {"alice": "Apply", "kubectl-label": "Update"}


async def test_scale_reads_and_writes_replicas(client: Client) -> None:
    scale = await client.get(f"{DEPLOY}/scale")
    assert scale.json["kind"] == "Scale"
    assert scale.json["apiVersion"] == "autoscaling/v1"
    assert scale.json["spec"] == {"replicas": 2}
    assert scale.json["status"]["selector"] == "app=web"
    patched = await client.patch(f"{DEPLOY}/scale", {"spec": {"replicas": 4}}, MERGE)
    assert patched.json["spec"]["replicas"] == 4
    assert (await client.get(DEPLOY)).json["spec"]["replicas"] == 4
    put = await client.put(f"{DEPLOY}/scale", {**patched.json, "spec": {"replicas": 1}})
    assert put.json["spec"]["replicas"] == 1
    stale = await client.put(f"{DEPLOY}/scale", {**patched.json, "spec": {"replicas": 6}})
    assert stale.status == 409
    negative = await client.patch(f"{DEPLOY}/scale", {"spec": {"replicas": -1}}, MERGE)
    assert negative.json["message"] == (
        'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: '
        "must be greater than or equal to 0")
    assert (await client.get("/api/v1/namespaces/default/configmaps/x/scale")).status == 404


async def test_an_unchanged_configmap_put_keeps_its_version(api: ApiServer, client: Client) -> None:
    stored = api.create_object(configmap("cfg", k="v"))
    again = await client.put(CM, json.loads(json.dumps(stored)))
    assert again.json["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]


async def test_secret_string_data_is_folded_into_data_on_every_write(client: Client) -> None:
    secrets = "/api/v1/namespaces/default/secrets"
    created = await client.post(secrets, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                                          "data": {"user": "YWRh"}, "stringData": {"password": "s3cret"}})
    assert created.status == 201
    assert created.json["data"] == {"user": "YWRh", "password": "czNjcmV0"}
    assert "stringData" not in created.json
    patched = await client.patch(f"{secrets}/db", {"stringData": {"user": "bob"}}, MERGE)
    assert patched.json["data"] == {"user": "Ym9i", "password": "czNjcmV0"}
    assert "stringData" not in (await client.get(f"{secrets}/db")).json
