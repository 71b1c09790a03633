"""OpenAPI documents, checked against what kubectl explain, kubectl's field-validation probe and a
JSON Schema validator need from them."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
import referencing

from periscope_adapters.sandbox._catalog import Catalog
from periscope_adapters.sandbox._openapi import openapi_v2, openapi_v3_document, openapi_v3_index

Doc = dict[str, Any]


def _walk(value: Any, path: str = "") -> Any:
    """Every (path, dict) in a JSON document."""
    if isinstance(value, dict):
        yield path, value
        for key, sub in value.items():
            yield from _walk(sub, f"{path}/{key}")
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _walk(sub, f"{path}/{i}")


def _resolve(doc: Doc, ref: str) -> Doc:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _assert_refs_resolve(doc: Doc, prefix: str) -> None:
    refs = {node["$ref"] for _, node in _walk(doc) if isinstance(node.get("$ref"), str)}
    assert refs
    for ref in refs:
        assert ref.startswith(prefix), ref
        assert isinstance(_resolve(doc, ref), dict), ref


def _all_v3_docs(catalog: Catalog) -> list[tuple[str, str, Doc]]:
    return [
        (g, v, openapi_v3_document(catalog, g, v))
        for g, versions in catalog.group_versions()
        for v in versions
    ]


def test_every_v3_document_is_closed_under_refs(karpenter_catalog):
    for group, version, doc in _all_v3_docs(karpenter_catalog):
        assert doc["openapi"].startswith("3.0"), (group, version)
        _assert_refs_resolve(doc, "#/components/schemas/")


def test_v2_document_is_closed_under_refs(karpenter_catalog):
    doc = openapi_v2(karpenter_catalog)
    assert doc["swagger"] == "2.0"
    _assert_refs_resolve(doc, "#/definitions/")


def test_schemas_use_openapi_types_not_json_schema_type_lists(karpenter_catalog):
    docs = [openapi_v2(karpenter_catalog), *(d for _, _, d in _all_v3_docs(karpenter_catalog))]
    for doc in docs:
        text = json.dumps(doc)
        assert "$defs" not in text
        for path, node in _walk(doc):
            kind = node.get("type")
            assert kind is None or isinstance(kind, str) or path.endswith("/properties"), path


def _explain(doc: Doc, group: str, version: str, plural: str, fields: list[str]) -> tuple[Doc, Doc]:
    """What kubectl explain's template does: GVK from the collection path, schema by GVK, then fields."""
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    candidates = [f"{prefix}/{plural}", f"{prefix}/namespaces/{{namespace}}/{plural}"]
    gvk = next(
        op["x-kubernetes-group-version-kind"]
        for path in candidates
        if path in doc["paths"]
        for method, op in doc["paths"][path].items()
        if method in ("get", "post", "put", "patch", "delete")
    )
    schema = next(
        s
        for _, s in sorted(doc["components"]["schemas"].items())
        if gvk in s.get("x-kubernetes-group-version-kind", ())
    )

    def resolved(node: Doc) -> Doc:
        if "$ref" in node:
            return _resolve(doc, node["$ref"])
        if "allOf" in node and "properties" not in node:
            return resolved(node["allOf"][0])
        return node

    for field in fields:
        node = resolved(schema)
        while "properties" not in node and "items" in node:
            node = resolved(node["items"])
        schema = node["properties"][field]
    return gvk, schema


def test_kubectl_explain_pods_spec_containers():
    doc = openapi_v3_document(Catalog.builtin(), "", "v1")
    gvk, containers = _explain(doc, "", "v1", "pods", ["spec", "containers"])
    assert gvk == {"group": "", "version": "v1", "kind": "Pod"}
    assert containers["type"] == "array"
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    _, image = _explain(doc, "", "v1", "pods", ["spec", "containers", "image"])
    assert "Container image name" in image["description"]


def test_kubectl_explain_int_or_string_fields():
    doc = openapi_v3_document(Catalog.builtin(), "apps", "v1")
    _, surge = _explain(doc, "apps", "v1", "deployments", ["spec", "strategy", "rollingUpdate", "maxSurge"])
    target = _resolve(doc, surge["allOf"][0]["$ref"])
    assert target["format"] == "int-or-string"
    assert {"type": "integer"} in target["oneOf"]


def test_kubectl_explain_nodepools_spec(karpenter_catalog):
    doc = openapi_v3_document(karpenter_catalog, "karpenter.sh", "v1")
    gvk, spec = _explain(doc, "karpenter.sh", "v1", "nodepools", ["spec"])
    assert gvk == {"group": "karpenter.sh", "version": "v1", "kind": "NodePool"}
    assert {"disruption", "limits", "template", "weight"} <= set(spec["properties"])
    _, metadata = _explain(doc, "karpenter.sh", "v1", "nodepools", ["metadata"])
    assert metadata["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    ]
    _, labels = _explain(doc, "karpenter.sh", "v1", "nodepools", ["metadata", "labels"])
    assert labels["type"] == "object"


def _supports_field_validation(doc: Doc, gvk: Doc) -> bool:
    """client-go's supportsQueryParamV3: the first PATCH of the GVK decides; any of them may be first."""
    patches = [
        item["patch"]
        for item in doc["paths"].values()
        if "patch" in item and item["patch"]["x-kubernetes-group-version-kind"] == gvk
    ]
    assert patches, gvk
    return all(
        any(p["name"] == "fieldValidation" and p["in"] == "query" for p in op["parameters"]) for op in patches
    )


def test_every_patchable_kind_advertises_server_side_field_validation(karpenter_catalog):
    for group, version, doc in _all_v3_docs(karpenter_catalog):
        for rt in karpenter_catalog.resources(group, version):
            if "patch" in rt.verbs:
                assert _supports_field_validation(doc, {"group": group, "version": version, "kind": rt.kind})


def test_paths_follow_resource_scope_and_verbs(karpenter_catalog):
    core = openapi_v3_document(karpenter_catalog, "", "v1")["paths"]
    assert set(core["/api/v1/namespaces/{namespace}/pods"]) == {"get", "post", "delete", "parameters"}
    assert core["/api/v1/pods"]["get"]["x-kubernetes-action"] == "list"
    assert set(core["/api/v1/nodes/{name}"]) >= {"get", "put", "patch", "delete"}
    assert "/api/v1/namespaces/{namespace}/pods/{name}/eviction" in core
    assert "/api/v1/namespaces/{namespace}/pods/{name}/log" not in core
    reviews = openapi_v3_document(karpenter_catalog, "authorization.k8s.io", "v1")["paths"]
    assert set(reviews["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]) == {"post", "parameters"}
    karpenter = openapi_v3_document(karpenter_catalog, "karpenter.sh", "v1")["paths"]
    scale = karpenter["/apis/karpenter.sh/v1/nodepools/{name}/scale"]["patch"]
    assert scale["x-kubernetes-group-version-kind"] == {
        "group": "autoscaling",
        "version": "v1",
        "kind": "Scale",
    }
    assert "application/strategic-merge-patch+json" not in scale["requestBody"]["content"]
    deployments = openapi_v3_document(karpenter_catalog, "apps", "v1")["paths"]
    patch = deployments["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]


def _validator(doc: Doc, name: str) -> jsonschema.Validator:
    registry = referencing.Registry().with_resource(
        "urn:doc", referencing.Resource.from_contents(doc, referencing.jsonschema.DRAFT4)
    )
    schema = {"$ref": f"urn:doc#/components/schemas/{name}"}
    return jsonschema.Draft4Validator(schema, registry=registry)


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 80}]}]},
}
NODEPOOL = {
    "apiVersion": "karpenter.sh/v1",
    "kind": "NodePool",
    "metadata": {"name": "default"},
    "spec": {
        "weight": 10,
        "template": {
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]}],
            }
        },
    },
}


def test_built_in_schemas_validate_real_objects():
    pods = _validator(openapi_v3_document(Catalog.builtin(), "", "v1"), "io.k8s.api.core.v1.Pod")
    pods.validate(POD)
    broken = copy.deepcopy(POD)
    broken["spec"]["containers"] = "nginx"
    with pytest.raises(jsonschema.ValidationError):
        pods.validate(broken)


def test_crd_schemas_validate_real_objects(karpenter_catalog):
    pools = _validator(
        openapi_v3_document(karpenter_catalog, "karpenter.sh", "v1"), "sh.karpenter.v1.NodePool"
    )
    pools.validate(NODEPOOL)
    heavy = copy.deepcopy(NODEPOOL)
    heavy["spec"]["weight"] = 500
    with pytest.raises(jsonschema.ValidationError, match="500"):
        pools.validate(heavy)


def test_crd_list_kinds_are_published(karpenter_catalog):
    schemas = openapi_v3_document(karpenter_catalog, "karpenter.sh", "v1")["components"]["schemas"]
    pool_list = schemas["sh.karpenter.v1.NodePoolList"]
    assert pool_list["x-kubernetes-group-version-kind"] == [
        {"group": "karpenter.sh", "kind": "NodePoolList", "version": "v1"}
    ]
    assert pool_list["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/sh.karpenter.v1.NodePool"
    }
    ec2 = openapi_v3_document(karpenter_catalog, "karpenter.k8s.aws", "v1")["components"]["schemas"]
    assert "aws.k8s.karpenter.v1.EC2NodeClass" in ec2


def test_v2_carries_builtin_and_crd_definitions(karpenter_catalog):
    definitions = openapi_v2(karpenter_catalog)["definitions"]
    assert definitions["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"] == [
        {"group": "", "kind": "Pod", "version": "v1"}
    ]
    assert definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"] == "string"
    assert "enum" not in definitions["io.k8s.api.core.v1.Pod"]["properties"]["kind"]
    pool = definitions["sh.karpenter.v1.NodePool"]
    assert (
        pool["properties"]["metadata"]["$ref"]
        == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    )
    # Swagger 2.0 cannot express anyOf: the int-or-string limits lose it there, but keep it in v3.
    limits_v2 = pool["properties"]["spec"]["properties"]["limits"]["additionalProperties"]
    assert "anyOf" not in limits_v2
    assert limits_v2["x-kubernetes-int-or-string"] is True
    v3 = openapi_v3_document(karpenter_catalog, "karpenter.sh", "v1")["components"]["schemas"]
    assert (
        "anyOf"
        in v3["sh.karpenter.v1.NodePool"]["properties"]["spec"]["properties"]["limits"][
            "additionalProperties"
        ]
    )


def test_v2_patch_operations_take_field_validation(karpenter_catalog):
    paths = openapi_v2(karpenter_catalog)["paths"]
    patch = paths["/apis/karpenter.sh/v1/nodepools/{name}"]["patch"]
    assert {"name": "fieldValidation", "in": "query"}.items() <= next(
        p for p in patch["parameters"] if p["name"] == "fieldValidation"
    ).items()
    assert patch["parameters"][0]["in"] == "body"


def test_index_lists_every_group_version_with_a_content_hash(karpenter_catalog, karpenter_crds):
    index = openapi_v3_index(karpenter_catalog)["paths"]
    assert set(index) == {
        f"apis/{g}/{v}" if g else f"api/{v}"
        for g, versions in karpenter_catalog.group_versions()
        for v in versions
    }
    assert index["api/v1"]["serverRelativeURL"].startswith("/openapi/v3/api/v1?hash=")
    assert index["apis/karpenter.sh/v1"]["serverRelativeURL"].startswith(
        "/openapi/v3/apis/karpenter.sh/v1?hash="
    )
    fewer = Catalog.builtin()
    fewer.add_crd(karpenter_crds["NodePool"])
    changed = openapi_v3_index(fewer)["paths"]
    assert changed["api/v1"] == index["api/v1"]
    assert changed["apis/karpenter.sh/v1"] != index["apis/karpenter.sh/v1"]
    assert "apis/karpenter.k8s.aws/v1" not in changed


def test_unknown_group_version_has_no_document(karpenter_catalog):
    assert openapi_v3_document(karpenter_catalog, "karpenter.sh", "v1beta1") is None
    assert openapi_v3_document(Catalog.builtin(), "karpenter.sh", "v1") is None


def test_documents_follow_catalog_changes_and_leave_crd_schemas_alone(karpenter_crds):
    catalog = Catalog.builtin()
    catalog.add_crd(karpenter_crds["NodePool"])
    registered = copy.deepcopy(catalog.crd_schema("karpenter.sh", "v1", "NodePool"))
    first = openapi_v3_document(catalog, "karpenter.sh", "v1")
    openapi_v2(catalog)
    assert catalog.crd_schema("karpenter.sh", "v1", "NodePool") == registered
    catalog.add_crd(karpenter_crds["NodeClaim"])
    second = openapi_v3_document(catalog, "karpenter.sh", "v1")
    assert "sh.karpenter.v1.NodeClaim" not in first["components"]["schemas"]
    assert "sh.karpenter.v1.NodeClaim" in second["components"]["schemas"]
