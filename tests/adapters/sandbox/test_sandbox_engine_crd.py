"""CustomResourceDefinitions: registering the real Karpenter CRDs and serving their resources."""

from __future__ import annotations

import json
from typing import Any

import pytest
from engine_client import AGGREGATED, TABLE, Client, Clock

from periscope_adapters.sandbox._engine import ApiServer

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
NODEPOOLS = "/apis/karpenter.sh/v1/nodepools"
MERGE = "application/merge-patch+json"


@pytest.fixture
def api() -> ApiServer:
    return ApiServer(name="crd", clock=Clock())


@pytest.fixture
def client(api: ApiServer) -> Client:
    return Client(api)


def nodepool(name: str, replicas: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"template": {"spec": {
        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
        "requirements": []}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": name}, "spec": spec}


async def register(client: Client, crds: dict[str, dict[str, Any]]) -> None:
    for crd in crds.values():
        created = await client.post(CRDS, crd)
        assert created.status == 201, created.json


async def test_a_created_crd_is_established_and_served_at_once(client: Client,
                                                               karpenter_crds: dict[str, Any]) -> None:
    assert (await client.get(NODEPOOLS)).status == 404
    await register(client, karpenter_crds)
    crd = (await client.get(f"{CRDS}/nodepools.karpenter.sh")).json
    conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    assert crd["status"]["acceptedNames"]["kind"] == "NodePool"
    discovery = (await client.get("/apis", accept=AGGREGATED)).json
    assert "karpenter.sh" in [g["metadata"]["name"] for g in discovery["items"]]
    resources = (await client.get("/apis/karpenter.sh/v1")).json["resources"]
    served = {r["name"] for r in resources}
    assert {"nodepools", "nodepools/status", "nodepools/scale", "nodeclaims"} <= served
    listed = await client.get(NODEPOOLS)
    assert (listed.json["kind"], listed.json["items"]) == ("NodePoolList", [])


async def test_custom_resources_get_crud_tables_and_scale(client: Client,
                                                          karpenter_crds: dict[str, Any]) -> None:
    await register(client, karpenter_crds)
    created = await client.post(NODEPOOLS, nodepool("default", replicas=1))
    assert created.json["metadata"]["generation"] == 1
    listed = await client.get(NODEPOOLS)
    assert listed.json["items"][0]["kind"] == "NodePool"  # unstructured lists keep item kinds
    table = (await client.get(NODEPOOLS, accept=TABLE)).json
    assert [c["name"] for c in table["columnDefinitions"]][:2] == ["Name", "NodeClass"]
    assert table["rows"][0]["cells"][:2] == ["default", "default"]
    scaled = await client.patch(f"{NODEPOOLS}/default/scale", {"spec": {"replicas": 3}}, MERGE)
    assert scaled.json["spec"] == {"replicas": 3}
    assert (await client.get(f"{NODEPOOLS}/default")).json["spec"]["replicas"] == 3
    wrong_kind = await client.post(NODEPOOLS, {**nodepool("x"), "kind": "NodeClaim"})
    assert (wrong_kind.status, wrong_kind.json["message"]) == (
        422, 'NodePool.karpenter.sh "x" is invalid: kind: Invalid value: "NodeClaim": must be NodePool')
    unversioned = await client.put(f"{NODEPOOLS}/default", nodepool("default"))
    assert unversioned.json["message"] == (
        'NodePool.karpenter.sh "default" is invalid: metadata.resourceVersion: '
        "Invalid value: 0x0: must be specified for an update")
    strategic = await client.patch(f"{NODEPOOLS}/default", {}, "application/strategic-merge-patch+json")
    assert strategic.status == 415


async def test_custom_resources_take_server_side_apply(client: Client,
                                                      karpenter_crds: dict[str, Any]) -> None:
    await register(client, karpenter_crds)
    body = json.dumps(nodepool("applied", replicas=2)).encode()
    query = [("fieldManager", "gitops")]
    created = await client.patch(f"{NODEPOOLS}/applied", body, "application/apply-patch+yaml", query=query)
    assert created.status == 201
    assert created.json["metadata"]["managedFields"][0]["manager"] == "gitops"
    changed = json.dumps(nodepool("applied", replicas=4)).encode()
    updated = await client.patch(f"{NODEPOOLS}/applied", changed, "application/apply-patch+yaml", query=query)
    assert (updated.status, updated.json["spec"]["replicas"]) == (200, 4)


async def test_status_of_a_custom_resource_is_its_own_subresource(client: Client,
                                                                  karpenter_crds: dict[str, Any]) -> None:
    await register(client, karpenter_crds)
    await client.post(NODEPOOLS, nodepool("default"))
    status = await client.patch(f"{NODEPOOLS}/default/status", {"status": {"nodes": 2}}, MERGE)
    assert status.json["status"] == {"nodes": 2}
    ignored = await client.patch(f"{NODEPOOLS}/default", {"status": {"nodes": 9}}, MERGE)
    assert ignored.json["status"] == {"nodes": 2}


async def test_deleting_a_crd_removes_its_resources_and_objects(api: ApiServer, client: Client,
                                                                karpenter_crds: dict[str, Any]) -> None:
    await register(client, karpenter_crds)
    await client.post(NODEPOOLS, nodepool("default"))
    watch = await client.get(NODEPOOLS, query=[("watch", "true")])
    await watch.lines(1)
    deleted = await client.delete(f"{CRDS}/nodepools.karpenter.sh")
    assert deleted.json["status"] == "Success"
    [gone] = await watch.lines(1)
    assert (gone["type"], gone["object"]["metadata"]["name"]) == ("DELETED", "default")
    await watch.close()
    assert (await client.get(NODEPOOLS)).status == 404
    assert api.list_objects("karpenter.sh", "nodepools") == []
    assert (await client.get("/apis/karpenter.sh/v1/nodeclaims")).status == 200


async def test_crd_names_must_match_their_spec(client: Client, karpenter_crds: dict[str, Any]) -> None:
    crd = karpenter_crds["NodePool"]
    misnamed = await client.post(CRDS, {**crd, "metadata": {"name": "pools.karpenter.sh"}})
    assert misnamed.status == 422
    assert misnamed.json["message"] == (
        'CustomResourceDefinition.apiextensions.k8s.io "pools.karpenter.sh" is invalid: metadata.name: '
        'Invalid value: "pools.karpenter.sh": must be spec.names.plural+"."+spec.group')


def test_the_object_api_registers_crds_idempotently(api: ApiServer, karpenter_crds: dict[str, Any]) -> None:
    first = api.add_crd(karpenter_crds["NodeClaim"])
    again = api.add_crd(karpenter_crds["NodeClaim"])
    assert again["metadata"]["uid"] == first["metadata"]["uid"]
    assert api.catalog.lookup("karpenter.sh", "v1", "nodeclaims") is not None
