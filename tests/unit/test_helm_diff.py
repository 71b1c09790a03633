"""The diff of two Helm revisions: objects matched as installed, changed fields with before and after."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from periscope_core.domain.helm_diff import diff_manifests


def _deployment(name: str, *, replicas: int = 1, image: str = "web:1", namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                {"name": "app", "image": image}, {"name": "sidecar", "image": "proxy:1"}]}}}}  # fmt: skip


def _config_map(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def test_added_modified_and_removed_objects_with_their_fields() -> None:
    before = [_config_map("settings", mode="a"), _deployment("web"), _config_map("legacy")]
    after = [_config_map("settings", mode="a"), _deployment("web", replicas=3, image="web:2"), _config_map("extra")]
    changes = diff_manifests(before, after, "shop")
    assert [(c.change, c.kind, c.namespace, c.name) for c in changes] == [
        ("modified", "Deployment", "shop", "web"),
        ("added", "ConfigMap", "shop", "extra"),
        ("removed", "ConfigMap", "shop", "legacy"),
    ]  # the unchanged ConfigMap is left out
    fields = [(f.path, f.op, f.before, f.after) for f in changes[0].fields]
    assert fields == [
        (".spec.replicas", "change", 1, 3),
        ('.spec.template.spec.containers[name="app"].image', "change", "web:1", "web:2"),
    ]
    assert changes[1].fields == changes[2].fields == []


def test_an_object_is_matched_where_it_is_installed() -> None:
    # Writing the release's namespace explicitly moves nothing: it is one object, not a removal and an addition.
    changes = diff_manifests([_deployment("web")], [_deployment("web", namespace="shop")], "shop")
    assert [(c.change, [(f.path, f.op, f.after) for f in c.fields]) for c in changes] == [
        ("modified", [(".metadata.namespace", "add", "shop")])]
    moved = diff_manifests([_deployment("web")], [_deployment("web", namespace="other")], "shop")
    assert [(c.change, c.namespace) for c in moved] == [("added", "other"), ("removed", "shop")]


def test_a_new_api_version_is_a_modified_object() -> None:
    old = {"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"}}
    new = {**old, "apiVersion": "policy/v1"}
    [change] = diff_manifests([old], [new], "shop")
    assert (change.change, change.api_version) == ("modified", "policy/v1")
    assert [(f.path, f.before, f.after) for f in change.fields] == [(".apiVersion", "policy/v1beta1", "policy/v1")]


_names = st.sets(st.sampled_from(["a", "b", "c", "d", "e", "f"]))


@given(_names, _names)
def test_the_added_and_removed_objects_are_the_set_differences(old: set[str], new: set[str]) -> None:
    changes = diff_manifests([_config_map(n) for n in sorted(old)], [_config_map(n) for n in sorted(new)], "ns")
    assert {c.name for c in changes if c.change == "added"} == new - old
    assert {c.name for c in changes if c.change == "removed"} == old - new
    assert not [c for c in changes if c.change == "modified"]
