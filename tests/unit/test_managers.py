"""Field managers: classification, FieldsV1 paths, and the GitOps/Helm revert warnings."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from periscope_core.domain.managers import (
    classify_manager,
    covers,
    managed_fields,
    ownership_warnings,
    paths_of,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("periscope", "periscope"),
        ("periscope-restart", "periscope"),
        ("argocd-controller", "gitops"),
        ("argocd-application-controller", "gitops"),
        ("kustomize-controller", "gitops"),
        ("helm-controller", "gitops"),
        ("flux-client-side-apply", "gitops"),
        ("helm", "helm"),
        ("Helm", "helm"),
        ("kubectl", "human"),
        ("kubectl-edit", "human"),
        ("kubectl-client-side-apply", "human"),
        ("k9s", "human"),
        ("kube-controller-manager", "controller"),
        ("kube-scheduler", "controller"),
        ("karpenter", "controller"),
        ("cert-manager-cainjector", "controller"),
        ("aws-load-balancer-controller", "controller"),
        ("prometheus-operator", "controller"),
        ("before-first-apply", "unknown"),
        ("Mozilla", "unknown"),
        ("", "unknown"),
    ],
)
def test_managers_are_classified_by_name(name: str, expected: str) -> None:
    assert classify_manager(name) == expected


FIELDS: dict[str, Any] = {
    "f:metadata": {"f:labels": {".": {}, "f:app": {}, "f:app.kubernetes.io/name": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:template": {"f:spec": {"f:containers": {
            'k:{"name":"app"}': {".": {}, "f:image": {}, "f:ports": {
                'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}},
            }},
        }}},
        "f:finalizers": {'v:"example.com/keep"': {}},
        "f:args": {"i:0": {}},
    },
}


def test_fields_v1_decodes_to_the_apiservers_path_spelling() -> None:
    assert paths_of(FIELDS) == [
        ".metadata.labels",
        ".metadata.labels.app",
        ".metadata.labels.app.kubernetes.io/name",
        ".spec.replicas",
        '.spec.template.spec.containers[name="app"]',
        '.spec.template.spec.containers[name="app"].image',
        '.spec.template.spec.containers[name="app"].ports[containerPort=80,protocol="TCP"]',
        '.spec.template.spec.containers[name="app"].ports[containerPort=80,protocol="TCP"].containerPort',
        '.spec.finalizers[="example.com/keep"]',
        ".spec.args[0]",
    ]


def test_malformed_fields_v1_elements_are_skipped() -> None:
    assert paths_of({"f:spec": {"x:bad": {}, "k:{not json": {}, "f:ok": {}, "f:list": []}}) == [".spec.ok"]


def _entry(manager: str, fields: dict[str, Any], operation: str = "Apply") -> dict[str, Any]:
    return {"manager": manager, "operation": operation, "apiVersion": "apps/v1", "time": "2026-01-01T00:00:00Z",
            "fieldsType": "FieldsV1", "fieldsV1": fields}


def test_managed_fields_are_listed_classified_with_their_paths() -> None:
    obj = {"metadata": {"managedFields": [
        _entry("argocd-controller", {"f:spec": {"f:replicas": {}}}),
        _entry("kube-controller-manager", {"f:status": {"f:replicas": {}}}, "Update") | {"subresource": "status"},
    ]}}
    entries = msgspec.to_builtins(managed_fields(obj))
    assert entries == [
        {"manager": "argocd-controller", "operation": "Apply", "apiVersion": "apps/v1",
         "time": "2026-01-01T00:00:00Z", "subresource": "", "class": "gitops", "fields": [".spec.replicas"]},
        {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
         "time": "2026-01-01T00:00:00Z", "subresource": "status", "class": "controller",
         "fields": [".status.replicas"]},
    ]
    assert managed_fields({"metadata": {}}) == []


def test_covers_matches_whole_path_elements_only() -> None:
    assert covers(".spec.replicas", ".spec.replicas")
    assert covers('.spec.containers[name="a"]', '.spec.containers[name="a"].image')
    assert covers('.spec.containers[name="a"].image', '.spec.containers[name="a"]')
    assert not covers(".spec.replicas", ".spec.replicasMax")
    assert not covers('.spec.containers[name="a"]', '.spec.containers[name="ab"]')


def test_gitops_and_helm_owners_warn_that_the_change_will_be_reverted() -> None:
    obj = {"metadata": {"managedFields": [
        _entry("argocd-controller", {"f:spec": {"f:replicas": {}, "f:paused": {}}}),
        _entry("helm", {"f:metadata": {"f:labels": {"f:chart": {}}}}, "Update"),
        _entry("kubectl-edit", {"f:spec": {"f:minReadySeconds": {}}}, "Update"),
    ]}}
    warnings = ownership_warnings(
        managed_fields(obj), [".spec.replicas", ".metadata.labels.chart", ".spec.minReadySeconds"]
    )
    assert [(w.manager, w.manager_class, w.fields) for w in warnings] == [
        ("argocd-controller", "gitops", [".spec.replicas"]),
        ("helm", "helm", [".metadata.labels.chart"]),
    ]
    assert "argocd-controller (gitops) manages .spec.replicas" in warnings[0].message
    assert "revert" in warnings[0].message
    assert "Git" in warnings[0].message
    assert "helm upgrade will revert" in warnings[1].message
    assert ownership_warnings(managed_fields(obj), [".spec.minReadySeconds"]) == []
