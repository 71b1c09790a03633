"""Manifests, identity checks, server-owned fields, conflicts and diffs: the editor's pure rules."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from periscope_core.domain.editing import (
    MAX_MANIFEST_BYTES,
    ApplyConflict,
    IdentityMismatch,
    ManifestTooLarge,
    ObjectRef,
    check_identity,
    diff,
    parse_manifest,
    strip_server_fields,
)
from periscope_core.domain.errors import InvalidRequest, Status, StatusCause, StatusDetails

DEPLOY = ObjectRef.of("apps", "v1", "deployments", "web", "shop")
NODE = ObjectRef.of("core", "v1", "nodes", "n1")


def test_a_manifest_is_one_yaml_or_json_mapping() -> None:
    assert parse_manifest(b"kind: ConfigMap\ndata: {a: '1'}\n") == {"kind": "ConfigMap", "data": {"a": "1"}}
    assert parse_manifest(b'{"kind": "ConfigMap"}') == {"kind": "ConfigMap"}
    assert parse_manifest(b"---\nkind: A\n---\n") == {"kind": "A"}
    for bad, words in [
        (b"", "found 0"), (b"kind: A\n---\nkind: B\n", "found 2"), (b"- a\n", "mapping"),
        (b"a: [1\n", "not valid YAML"), (b"\xff\xfe", "UTF-8"),
    ]:
        with pytest.raises(InvalidRequest, match=words):
            parse_manifest(bad)


def test_timestamps_stay_strings_and_aliases_are_refused() -> None:
    assert parse_manifest(b"data:\n  when: 2026-01-02\n") == {"data": {"when": "2026-01-02"}}
    with pytest.raises(InvalidRequest, match="aliases"):
        parse_manifest(b"a: &x [1, 2]\nb: *x\n")


def test_a_manifest_over_256_kib_is_too_large() -> None:
    body = b"kind: ConfigMap\ndata:\n  big: '" + b"x" * MAX_MANIFEST_BYTES + b"'\n"
    with pytest.raises(ManifestTooLarge) as caught:
        parse_manifest(body)
    assert (caught.value.http_status, caught.value.code) == (413, "E_TOO_LARGE")
    parse_manifest(b"kind: A\n#" + b"x" * (MAX_MANIFEST_BYTES - 10))


def _deployment(**meta: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", **meta}}


def test_identity_must_match_the_url() -> None:
    assert check_identity(_deployment(), DEPLOY) == _deployment()
    filled = check_identity({**_deployment(), "metadata": {"name": "web"}}, DEPLOY)
    assert filled["metadata"]["namespace"] == "shop"
    assert check_identity({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}, NODE)["kind"] == "Node"
    mismatches = [
        ({**_deployment(), "apiVersion": "apps/v1beta1"}, "apiVersion"),
        ({**_deployment(), "apiVersion": "v1"}, "apiVersion"),
        ({k: v for k, v in _deployment().items() if k != "kind"}, "kind"),
        ({**_deployment(), "metadata": "web"}, "metadata"),
        (_deployment(name="api"), "metadata.name"),
        (_deployment(namespace="other"), "metadata.namespace"),
    ]
    for obj, words in mismatches:
        with pytest.raises(IdentityMismatch, match=words) as caught:
            check_identity(obj, DEPLOY)
        assert (caught.value.http_status, caught.value.code) == (400, "E_IDENTITY_MISMATCH")
    with pytest.raises(IdentityMismatch, match="cluster-scoped"):
        check_identity({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "namespace": "x"}}, NODE)


def test_server_owned_fields_and_status_are_stripped() -> None:
    live = _deployment(uid="u", resourceVersion="7", generation=3, creationTimestamp="t", managedFields=[],
                       deletionTimestamp="t", deletionGracePeriodSeconds=30, selfLink="/x", labels={"a": "b"})
    live |= {"spec": {"replicas": 2}, "status": {"replicas": 2}}
    assert strip_server_fields(live) == {**_deployment(labels={"a": "b"}), "spec": {"replicas": 2}}
    assert live["metadata"]["uid"] == "u"  # the input is left alone


def test_conflict_causes_name_the_owning_manager() -> None:
    status = Status(code=409, reason="Conflict", message="Apply failed with 2 conflicts", details=StatusDetails(
        causes=[
            StatusCause(reason="FieldManagerConflict", message='conflict with "argocd-controller" using apps/v1',
                        field=".spec.replicas"),
            StatusCause(reason="FieldManagerConflict", message='conflict with "say \\"hi\\""',
                        field=".metadata.labels.app"),
            StatusCause(reason="FieldManagerConflict", message="something else", field=".spec.paused"),
        ]))  # fmt: skip
    error = ApplyConflict(status)
    body = error.body()
    assert (error.http_status, body["error"]) == (409, "E_CONFLICT")
    assert body["status"]["details"]["causes"][0]["field"] == ".spec.replicas"
    assert body["conflicts"] == [
        {"field": ".spec.replicas", "manager": "argocd-controller", "class": "gitops",
         "message": 'conflict with "argocd-controller" using apps/v1'},
        {"field": ".metadata.labels.app", "manager": 'say "hi"', "class": "unknown",
         "message": 'conflict with "say \\"hi\\""'},
        {"field": ".spec.paused", "manager": "", "class": "unknown", "message": "something else"},
    ]
    msgspec.json.encode(body)


def test_diff_lists_paths_with_before_and_after() -> None:
    before = {"metadata": {"labels": {"a": "1", "gone": "x"}}, "spec": {"replicas": 2, "template": {"spec": {
        "containers": [{"name": "app", "image": "nginx:1"}, {"name": "side", "image": "envoy:1"}],
        "args": ["a", "b"]}}}}  # fmt: skip
    after = {"metadata": {"labels": {"a": "2", "new": "y"}}, "spec": {"replicas": 2, "paused": True, "template": {
        "spec": {"containers": [{"name": "app", "image": "nginx:2"}, {"name": "log", "image": "fluent:1"}],
                 "args": ["a"]}}}}  # fmt: skip
    changes = msgspec.to_builtins(diff(before, after))
    assert changes == [
        {"path": ".metadata.labels.a", "op": "change", "before": "1", "after": "2"},
        {"path": ".metadata.labels.gone", "op": "remove", "before": "x"},
        {"path": ".metadata.labels.new", "op": "add", "after": "y"},
        {"path": '.spec.template.spec.containers[name="app"].image', "op": "change", "before": "nginx:1",
         "after": "nginx:2"},
        {"path": '.spec.template.spec.containers[name="side"]', "op": "remove",
         "before": {"name": "side", "image": "envoy:1"}},
        {"path": '.spec.template.spec.containers[name="log"]', "op": "add",
         "after": {"name": "log", "image": "fluent:1"}},
        {"path": ".spec.template.spec.args", "op": "change", "before": ["a", "b"], "after": ["a"]},
        {"path": ".spec.paused", "op": "add", "after": True},
    ]
    assert diff(after, after) == []
    assert msgspec.to_builtins(diff({}, {"a": None})) == [{"path": ".a", "op": "add", "after": None}]
