"""The CRD catalog, printer columns, and the cleaned detail/YAML views."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from periscope_core.services.browse import clean_object, to_yaml
from periscope_core.services.crds import CrdInfo, custom_row, decode_crd, decode_crd_list, version_priority
from periscope_core.services.jsonpath import cell_value, compile_path

CRD_DIR = Path(__file__).resolve().parents[2] / "adapters" / "sandbox" / "data" / "crds"


def _crds() -> list[dict[str, Any]]:
    crds = [yaml.safe_load(p.read_text()) for p in sorted(CRD_DIR.glob("*.yaml"))]
    for crd in crds:
        crd["metadata"]["creationTimestamp"] = "2024-05-01T10:00:00Z"
    return crds


def _catalog() -> dict[str, CrdInfo]:
    body = msgspec.json.encode({"kind": "CustomResourceDefinitionList", "items": _crds()})
    return {c.name: c for c in decode_crd_list(body)}


def test_karpenter_crds_in_the_catalog() -> None:
    catalog = _catalog()
    assert set(catalog) == {"ec2nodeclasses.karpenter.k8s.aws", "nodeclaims.karpenter.sh", "nodepools.karpenter.sh"}
    pools = catalog["nodepools.karpenter.sh"]
    assert (pools.group, pools.kind, pools.plural, pools.singular, pools.scope) == (
        "karpenter.sh", "NodePool", "nodepools", "nodepool", "Cluster")
    assert (pools.served_version, pools.storage_version, pools.created_at) == ("v1", "v1", "2024-05-01T10:00:00Z")
    columns = {c.name: c for c in pools.versions[0].printer_columns}
    assert columns["Ready"].json_path == '.status.conditions[?(@.type=="Ready")].status'
    assert columns["Weight"].priority == 1
    wire = msgspec.to_builtins(pools)
    assert {"shortNames", "servedVersion", "storageVersion", "createdAt", "versions"} <= set(wire)
    assert set(wire["versions"][0]) == {"name", "served", "storage", "deprecated", "printerColumns"}
    assert "openAPIV3Schema" not in msgspec.json.encode(wire).decode()


def test_crd_serving_nothing_is_skipped_and_preferred_version_wins() -> None:
    def crd(name: str, versions: list[dict[str, Any]]) -> dict[str, Any]:
        return {"metadata": {"name": f"{name}s.example.com"},
                "spec": {"group": "example.com", "scope": "Namespaced",
                         "names": {"plural": f"{name}s", "kind": name.title()}, "versions": versions}}

    body = msgspec.json.encode({"items": [
        crd("gone", [{"name": "v1", "served": False, "storage": True}]),
        crd("widget", [{"name": "v1alpha1", "served": True, "storage": True},
                       {"name": "v1beta2", "served": True}, {"name": "v1", "served": True, "deprecated": True}]),
    ]})
    (only,) = decode_crd_list(body)
    assert (only.name, only.served_version, only.storage_version, only.singular) == (
        "widgets.example.com", "v1", "v1alpha1", "widget")
    assert decode_crd(msgspec.json.encode(crd("gone", [{"name": "v1", "served": False}]))) is None
    assert sorted(["v1beta1", "v2", "v1", "v1alpha3", "foo"], key=version_priority) == [
        "foo", "v1alpha3", "v1beta1", "v1", "v2"]


NODECLAIM = {
    "apiVersion": "karpenter.sh/v1",
    "kind": "NodeClaim",
    "metadata": {"name": "default-x7k2p", "creationTimestamp": "2024-05-01T10:00:00Z", "labels": {
        "node.kubernetes.io/instance-type": "m5.large", "karpenter.sh/capacity-type": "spot",
        "karpenter.sh/nodepool": "default"}},
    "spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}},
    "status": {"nodeName": "ip-10-0-1-5", "conditions": [
        {"type": "Launched", "status": "True"}, {"type": "Ready", "status": "True"}]},
}


def test_printer_columns_on_a_real_nodeclaim() -> None:
    claims = _catalog()["nodeclaims.karpenter.sh"]
    columns = [c for c in claims.versions[0].printer_columns if c.priority == 0]
    row = custom_row(NODECLAIM, columns)
    assert row.name == "default-x7k2p"
    assert row.columns["Type"] == "m5.large"
    assert row.columns["Capacity"] == "spot"
    assert row.columns["Node"] == "ip-10-0-1-5"
    assert row.columns["Ready"] == "True"
    assert row.columns["Zone"] is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".spec.nodeClassRef.name", "default"),
        ("{.spec.nodeClassRef.kind}", "EC2NodeClass"),
        (".status.conditions[0].type", "Launched"),
        (".status.conditions[-1].type", "Ready"),
        (".status.conditions[*].type", "Launched,Ready"),
        (".status.conditions[?(@.type!='Ready')].type", "Launched"),
        (".status.conditions[?(@.reason)].type", None),
        (".metadata['name']", "default-x7k2p"),
        (".status.missing.deeper", None),
        (".status.conditions[5]", None),
    ],
)
def test_jsonpath_subset(path: str, expected: Any) -> None:
    assert cell_value(path, NODECLAIM) == expected


@pytest.mark.parametrize("path", [".a[", ".a[?(@.x > 1)]", "a.b", ".a..b"])
def test_unsupported_jsonpath_is_rejected_at_compile_and_empty_as_a_cell(path: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        compile_path(path)
    assert cell_value(path, NODECLAIM) is None


def test_clean_object_strips_noise_and_secret_values() -> None:
    secret = {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {
            "name": "db", "namespace": "default", "managedFields": [{"manager": "kubectl"}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"data":{"p":"aHVudGVyMg=="}}'},
        },
        "data": {"password": "aHVudGVyMg==", "user": "YWRtaW4="},
    }
    cleaned = clean_object(secret)
    assert cleaned["keys"] == [{"name": "password", "size": 7}, {"name": "user", "size": 5}]
    text = to_yaml(cleaned) + msgspec.json.encode(cleaned).decode()
    assert "aHVudGVyMg" not in text
    assert "YWRtaW4" not in text
    assert "managedFields" not in text
    assert "annotations" not in cleaned["metadata"]
    assert secret["data"]["password"] == "aHVudGVyMg=="  # the caller's object is untouched


def test_yaml_keeps_apiserver_order_and_block_strings() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "conf", "annotations": {"team": "a",
                                                       "kubectl.kubernetes.io/last-applied-configuration": "{}"}},
          "data": {"app.yaml": "server:\n  port: 8080\n"}}
    text = to_yaml(clean_object(cm))
    assert text.splitlines()[:3] == ["apiVersion: v1", "kind: ConfigMap", "metadata:"]
    assert "app.yaml: |\n    server:\n      port: 8080\n" in text
    assert "last-applied" not in text
    assert "team: a" in text
    assert yaml.safe_load(text)["data"] == cm["data"]
