"""Merge, JSON and strategic merge patches as kubectl and clients send them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from periscope_adapters.sandbox._merge_keys import is_set_list, list_map_keys, list_merge_key
from periscope_adapters.sandbox._patch import (
    PatchError,
    json_equal,
    json_merge_patch,
    json_patch,
    strategic_merge_patch,
)

# --- RFC 7386 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [  # RFC 7386 Appendix A, row by row.
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_json_merge_patch_rfc7386_examples(target: Any, patch: Any, result: Any) -> None:
    assert json_merge_patch(target, patch) == result


def test_kubectl_scale_merge_patch_on_the_scale_subresource() -> None:
    scale = {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web", "namespace": "default", "resourceVersion": "41"},
        "spec": {"replicas": 1},
        "status": {"replicas": 1, "selector": "app=web"},
    }
    patched = json_merge_patch(scale, {"spec": {"replicas": 3}})
    assert patched["spec"] == {"replicas": 3}
    assert patched["status"] == scale["status"]
    assert scale["spec"] == {"replicas": 1}


def test_kubectl_label_and_unlabel_merge_patches() -> None:
    pod = {"metadata": {"name": "web-1", "labels": {"app": "web"}}, "spec": {"containers": [{"name": "c"}]}}
    labelled = json_merge_patch(pod, {"metadata": {"labels": {"env": "prod"}}})
    assert labelled["metadata"]["labels"] == {"app": "web", "env": "prod"}
    unlabelled = json_merge_patch(labelled, {"metadata": {"labels": {"app": None}}})
    assert unlabelled["metadata"]["labels"] == {"env": "prod"}
    assert unlabelled["spec"] == pod["spec"]


# --- RFC 6902 -------------------------------------------------------------------------

FOO_BAR = {"foo": "bar"}


@pytest.mark.parametrize(
    ("target", "operations", "result"),
    [  # RFC 6902 Appendix A.
        (FOO_BAR, [{"op": "add", "path": "/baz", "value": "qux"}], {"foo": "bar", "baz": "qux"}),
        (
            {"foo": ["bar", "baz"]},
            [{"op": "add", "path": "/foo/1", "value": "qux"}],
            {"foo": ["bar", "qux", "baz"]},
        ),
        ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], FOO_BAR),
        ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
        (
            {"baz": "qux", "foo": "bar"},
            [{"op": "replace", "path": "/baz", "value": "boo"}],
            {"baz": "boo", "foo": "bar"},
        ),
        (
            {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
            [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
            {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
        ),
        (
            {"foo": ["all", "grass", "cows", "eat"]},
            [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
            {"foo": ["all", "cows", "eat", "grass"]},
        ),
        (
            {"baz": "qux", "foo": ["a", 2, "c"]},
            [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
            {"baz": "qux", "foo": ["a", 2, "c"]},
        ),
        (
            FOO_BAR,
            [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
            {**FOO_BAR, "child": {"grandchild": {}}},
        ),
        (FOO_BAR, [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}], {"foo": "bar", "baz": "qux"}),
        ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
        (
            {"foo": ["bar"]},
            [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
            {"foo": ["bar", ["abc", "def"]]},
        ),
        # Beyond the appendix: the whole document, copy, and "/" in keys.
        (FOO_BAR, [{"op": "replace", "path": "", "value": [1]}], [1]),
        (FOO_BAR, [{"op": "copy", "from": "/foo", "path": "/a~1b"}], {"foo": "bar", "a/b": "bar"}),
        ({"a": [1]}, [{"op": "move", "from": "/a", "path": "/a"}], {"a": [1]}),
    ],
)
def test_json_patch_rfc6902_examples(target: Any, operations: list[dict[str, Any]], result: Any) -> None:
    assert json_patch(target, operations) == result


@pytest.mark.parametrize(
    ("target", "operations"),
    [
        ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}]),  # A.9
        (FOO_BAR, [{"op": "add", "path": "/baz/bat", "value": "qux"}]),  # A.12
        ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}]),  # A.15
        ({"a": [1]}, [{"op": "remove", "path": "/a/1"}]),
        ({"a": [1]}, [{"op": "add", "path": "/a/01", "value": 2}]),
        ({"a": {}}, [{"op": "replace", "path": "/a/b", "value": 1}]),
        ({"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/a/c"}]),
        ({"a": True}, [{"op": "test", "path": "/a", "value": 1}]),
        (FOO_BAR, [{"op": "frobnicate", "path": "/foo"}]),
        (FOO_BAR, [{"op": "add", "path": "foo", "value": 1}]),
        (FOO_BAR, [{"op": "add", "path": "/~2", "value": 1}]),
        (FOO_BAR, [{"op": "add", "path": "/x"}]),
    ],
)
def test_json_patch_that_does_not_apply_is_422(target: Any, operations: list[dict[str, Any]]) -> None:
    with pytest.raises(PatchError) as caught:
        json_patch(target, operations)
    assert caught.value.status_code == 422


def test_json_patch_is_all_or_nothing() -> None:
    deployment = {"spec": {"replicas": 2}}
    with pytest.raises(PatchError, match="testing value /spec/replicas failed"):
        json_patch(
            deployment,
            [
                {"op": "replace", "path": "/spec/replicas", "value": 5},
                {"op": "test", "path": "/spec/replicas", "value": 2},
            ],
        )
    assert deployment == {"spec": {"replicas": 2}}


@pytest.mark.parametrize("operations", [{"op": "add"}, ["add"], "[]"])
def test_json_patch_of_the_wrong_shape_is_400(operations: Any) -> None:
    with pytest.raises(PatchError) as caught:
        json_patch({}, operations)
    assert caught.value.status_code == 400


def test_json_equal_follows_json_not_python() -> None:
    assert json_equal({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not json_equal(True, 1)
    assert not json_equal("1", 1)
    assert not json_equal({"a": None}, {})


# --- strategic merge patch ------------------------------------------------------------


def _deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web", "stage": "beta"}, "finalizers": ["a", "b"]},
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.25",
                            "args": ["-g", "daemon off;"],
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        },
                        {"name": "log", "image": "fluent-bit:2"},
                    ],
                    "tolerations": [{"key": "gpu", "operator": "Exists"}],
                },
            },
        },
    }


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def test_client_side_apply_patch_changes_one_container_and_keeps_order() -> None:
    # What `kubectl apply` computes after the image and a label changed in the file.
    patch = {
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"kind":"Deployment"}\n'},
            "labels": {"stage": None, "tier": "frontend"},
        },
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}, {"name": "log"}],
                    "containers": [{"image": "nginx:1.27", "name": "nginx"}],
                }
            }
        },
    }
    patched = strategic_merge_patch(_deployment(), patch)
    assert patched["metadata"]["labels"] == {"app": "web", "tier": "frontend"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in patched["metadata"]["annotations"]
    containers = _pod_spec(patched)["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("nginx", "nginx:1.27"), ("log", "fluent-bit:2")]
    assert containers[0]["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]


def test_set_element_order_places_a_new_container_and_deletes_another() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "init-proxy"}, {"name": "nginx"}],
                    "containers": [
                        {"name": "init-proxy", "image": "envoy:1"},
                        {"$patch": "delete", "name": "log"},
                    ],
                }
            }
        }
    }
    containers = _pod_spec(strategic_merge_patch(_deployment(), patch))["containers"]
    assert [c["name"] for c in containers] == ["init-proxy", "nginx"]
    assert containers[0] == {"name": "init-proxy", "image": "envoy:1"}


def test_keyed_lists_merge_by_their_merge_key_and_atomic_lists_are_replaced() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "args": ["-T"],
                            "env": [{"name": "B", "value": "two"}, {"name": "C", "value": "3"}],
                            "ports": [{"containerPort": 443}],
                        }
                    ],
                    "tolerations": [{"key": "spot", "operator": "Exists"}],
                }
            }
        }
    }
    spec = _pod_spec(strategic_merge_patch(_deployment(), patch))
    nginx = spec["containers"][0]
    assert nginx["args"] == ["-T"]
    assert [(e["name"], e["value"]) for e in nginx["env"]] == [("A", "1"), ("B", "two"), ("C", "3")]
    # As in the apiserver, an item only the patch has goes in front of the live-only ones.
    assert nginx["ports"] == [{"containerPort": 443}, {"containerPort": 80, "protocol": "TCP"}]
    assert spec["tolerations"] == [{"key": "spot", "operator": "Exists"}]
    assert [c["name"] for c in spec["containers"]] == ["nginx", "log"]


def test_service_ports_merge_by_port() -> None:
    service = {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 8443}]}}
    patched = strategic_merge_patch(service, {"spec": {"ports": [{"port": 443, "targetPort": 9443}]}})
    assert patched["spec"]["ports"] == [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 9443}]


def test_patch_replace_directive_on_a_map_and_on_a_list() -> None:
    patch = {
        "spec": {
            "strategy": {"$patch": "replace", "type": "Recreate"},
            "template": {
                "spec": {"containers": [{"name": "only", "image": "busybox"}, {"$patch": "replace"}]}
            },
        }
    }
    patched = strategic_merge_patch(_deployment(), patch)
    assert patched["spec"]["strategy"] == {"type": "Recreate"}
    assert _pod_spec(patched)["containers"] == [{"name": "only", "image": "busybox"}]


def test_retain_keys_drops_the_rolling_update_block_when_switching_to_recreate() -> None:
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}}}
    assert strategic_merge_patch(_deployment(), patch)["spec"]["strategy"] == {"type": "Recreate"}


def test_primitive_set_lists_merge_as_a_union_and_support_deletion() -> None:
    patched = strategic_merge_patch(
        _deployment(), {"metadata": {"finalizers": ["c", "a"], "$deleteFromPrimitiveList/finalizers": ["b"]}}
    )
    assert patched["metadata"]["finalizers"] == ["c", "a"]
    ordered = strategic_merge_patch(_deployment(), {"metadata": {"$setElementOrder/finalizers": ["b", "a"]}})
    assert ordered["metadata"]["finalizers"] == ["b", "a"]


def test_null_deletes_and_new_maps_lose_their_directives() -> None:
    patch = {"spec": {"replicas": None, "selector": {"matchLabels": {"app": "web", "gone": None}}}}
    patched = strategic_merge_patch(_deployment(), patch)
    assert "replicas" not in patched["spec"]
    assert patched["spec"]["selector"] == {"matchLabels": {"app": "web"}}


@pytest.mark.parametrize(
    ("patch", "status_code"),
    [
        ({"spec": {"strategy": {"$patch": "explode"}}}, 400),
        ({"spec": {"template": {"spec": {"containers": [{"image": "no-name"}]}}}}, 400),
        ({"spec": {"template": {"spec": {"containers": [{"$patch": "delete"}]}}}}, 400),
        ({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}, 400),
        ({"spec": {"template": {"spec": {"$setElementOrder/containers": "nginx"}}}}, 400),
        ({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}}, 422),
    ],
)
def test_malformed_strategic_patches(patch: dict[str, Any], status_code: int) -> None:
    with pytest.raises(PatchError) as caught:
        strategic_merge_patch(_deployment(), patch)
    assert caught.value.status_code == status_code


def test_strategic_patch_body_must_be_an_object() -> None:
    with pytest.raises(PatchError) as caught:
        strategic_merge_patch(_deployment(), [{"op": "add"}])  # type: ignore[arg-type]
    assert caught.value.status_code == 400


# --- no patch mutates what it was given -----------------------------------------------

_scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["a", "b", "nginx"])
_keys = st.sampled_from(["spec", "metadata", "containers", "name", "image", "finalizers", "a", "b"])
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)
_objects = st.dictionaries(_keys, _json, max_size=4)
_operation = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test"]),
        "path": st.sampled_from(["", "/a", "/spec", "/spec/0", "/a/-", "/b/a"]),
        "from": st.sampled_from(["/a", "/b", "/spec/name"]),
        "value": _json,
    }
)


@settings(max_examples=150, deadline=None)
@given(target=_objects, patch=_objects, operations=st.lists(_operation, max_size=4))
def test_patches_never_mutate_their_inputs(
    target: dict[str, Any], patch: dict[str, Any], operations: list[dict[str, Any]]
) -> None:
    snapshot = copy.deepcopy((target, patch, operations))
    merged = json_merge_patch(target, patch)
    for apply in (
        lambda: strategic_merge_patch(target, patch),
        lambda: json_patch(target, operations),
    ):
        try:
            result = apply()
        except PatchError:
            continue
        assert result is not target
    assert (target, patch, operations) == snapshot
    assert json_merge_patch(merged, patch) == merged  # merge patches are idempotent


@pytest.mark.parametrize(
    ("path", "merge_key"),
    [
        (("spec", "containers"), ("name",)),
        (("spec", "template", "spec", "initContainers"), ("name",)),
        (("spec", "jobTemplate", "spec", "template", "spec", "containers", "env"), ("name",)),
        (("spec", "template", "spec", "containers", "ports"), ("containerPort",)),
        (("spec", "template", "spec", "containers", "volumeMounts"), ("mountPath",)),
        (("spec", "ports"), ("port",)),
        (("status", "conditions"), ("type",)),
        (("metadata", "ownerReferences"), ("uid",)),
        (("spec", "template", "spec", "tolerations"), None),
        (("rules",), None),
        (("subjects",), None),
    ],
)
def test_merge_keys_cover_pod_specs_wherever_they_are_embedded(
    path: tuple[str, ...], merge_key: tuple[str, ...] | None
) -> None:
    assert list_merge_key(path) == merge_key


def test_apply_keys_differ_from_patch_keys_where_the_types_say_so() -> None:
    assert list_map_keys(("spec", "ports")) == ("port", "protocol")
    assert list_map_keys(("spec", "topologySpreadConstraints")) == ("topologyKey", "whenUnsatisfiable")
    assert is_set_list(("metadata", "finalizers"))
    assert not is_set_list(("spec", "template", "spec", "containers", "args"))
