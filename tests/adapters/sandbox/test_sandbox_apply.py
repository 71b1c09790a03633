"""Server-side apply and managedFields, checked against what the apiserver answers kubectl."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from periscope_adapters.sandbox._apply import (
    ApplyConflict,
    FieldConflict,
    conflict_status,
    fields_of,
    from_fields_v1,
    record_update,
    server_side_apply,
    to_fields_v1,
)

APPS = "apps/v1"


def deployment(
    image: str = "nginx:1.25", *, replicas: int | None = 3, sidecar: bool = False
) -> dict[str, Any]:
    containers: list[dict[str, Any]] = [{"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}]
    if sidecar:
        containers.append({"name": "log", "image": "fluent-bit:2"})
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": APPS,
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": spec,
    }


def stored(obj: dict[str, Any]) -> dict[str, Any]:
    """What the store adds after a create."""
    obj = copy.deepcopy(obj)
    obj["metadata"].update(
        uid="1b2c", resourceVersion="7", generation=1, creationTimestamp="2024-05-01T10:00:00Z"
    )
    obj["status"] = {"replicas": obj["spec"].get("replicas", 1)}
    return obj


def apply(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    *,
    manager: str = "kubectl",
    force: bool = False,
    now: str = "2024-05-01T10:00:00Z",
) -> dict[str, Any]:
    return server_side_apply(live, config, manager=manager, force=force, now=now, api_version=APPS)


def entries(obj: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["manager"], e["operation"]): e for e in obj["metadata"].get("managedFields", [])}


def owned(obj: dict[str, Any], manager: str, operation: str = "Apply") -> set[tuple[str, ...]]:
    return from_fields_v1(entries(obj)[(manager, operation)]["fieldsV1"])


REPLICAS = ("f:spec", "f:replicas")
PORT_80 = 'k:{"containerPort":80,"protocol":"TCP"}'
NGINX = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"nginx"}')
LOG = ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"log"}')


def test_first_apply_creates_the_object_with_one_apply_entry() -> None:
    created = apply(None, deployment())
    assert created["spec"]["replicas"] == 3
    assert created["metadata"]["managedFields"] == [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "apiVersion": APPS,
            "time": "2024-05-01T10:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {
                            "f:containers": {
                                'k:{"name":"nginx"}': {
                                    ".": {},
                                    "f:image": {},
                                    "f:name": {},
                                    "f:ports": {PORT_80: {".": {}, "f:containerPort": {}}},
                                }
                            }
                        },
                    },
                },
            },
        }
    ]


def test_applying_twice_with_a_new_image_updates_it_in_place() -> None:
    live = stored(apply(None, deployment("nginx:1.25")))
    updated = apply(live, deployment("nginx:1.27"), now="2024-05-01T11:00:00Z")
    assert updated["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert updated["status"] == live["status"]
    assert updated["metadata"]["uid"] == "1b2c"
    [entry] = updated["metadata"]["managedFields"]
    assert entry["time"] == "2024-05-01T11:00:00Z"
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_an_unchanged_reapply_keeps_the_entry_time() -> None:
    live = stored(apply(None, deployment()))
    again = apply(live, deployment(), now="2024-05-02T00:00:00Z")
    assert again == live


def test_a_field_dropped_from_the_configuration_is_removed() -> None:
    live = stored(apply(None, deployment(sidecar=True)))
    config = deployment()
    config["metadata"]["labels"] = {}
    pruned = apply(live, config)
    assert [c["name"] for c in pruned["spec"]["template"]["spec"]["containers"]] == ["nginx"]
    assert "labels" not in pruned["metadata"]
    assert not any(path[: len(LOG)] == LOG for path in owned(pruned, "kubectl"))


def test_a_dropped_field_that_another_manager_owns_is_kept() -> None:
    live = stored(apply(None, deployment(sidecar=True)))
    other = deployment(sidecar=True)
    other["spec"] = {"template": other["spec"]["template"]}
    other["spec"]["template"]["spec"]["containers"] = [{"name": "log", "image": "fluent-bit:2"}]
    shared = apply(live, other, manager="logging-operator")
    after = apply(shared, deployment())
    assert [c["name"] for c in after["spec"]["template"]["spec"]["containers"]] == ["nginx", "log"]
    assert LOG in owned(after, "logging-operator")
    assert LOG not in owned(after, "kubectl")


def test_two_appliers_conflict_on_replicas() -> None:
    live = stored(apply(None, deployment(replicas=3), manager="team-a"))
    with pytest.raises(ApplyConflict) as caught:
        apply(live, deployment(replicas=5), manager="team-b")
    assert caught.value.conflicts == [FieldConflict("team-a", ".spec.replicas", 'conflict with "team-a"')]
    assert conflict_status(caught.value.conflicts) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Apply failed with 1 conflict: conflict with "team-a": .spec.replicas',
        "reason": "Conflict",
        "details": {
            "causes": [
                {
                    "reason": "FieldManagerConflict",
                    "message": 'conflict with "team-a"',
                    "field": ".spec.replicas",
                }
            ]
        },
        "code": 409,
    }


def test_the_same_value_is_shared_without_conflict() -> None:
    live = stored(apply(None, deployment(replicas=3), manager="team-a"))
    shared = apply(live, deployment(replicas=3), manager="team-b")
    assert REPLICAS in owned(shared, "team-a")
    assert REPLICAS in owned(shared, "team-b")


def test_force_takes_ownership_and_drops_managers_left_empty() -> None:
    live = stored(apply(None, deployment(replicas=3), manager="team-a"))
    scaler = {"apiVersion": APPS, "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 4}}
    live = apply(live, scaler, manager="autoscaler", force=True)
    assert REPLICAS not in owned(live, "team-a")
    taken = apply(live, {**scaler, "spec": {"replicas": 9}}, manager="team-a", force=True)
    assert taken["spec"]["replicas"] == 9
    assert ("autoscaler", "Apply") not in entries(taken)
    assert REPLICAS in owned(taken, "team-a")


def test_kubectl_scale_then_apply_conflicts_with_the_scale_subresource_manager() -> None:
    live = stored(apply(None, deployment(replicas=3)))
    scaled_spec = {**live["spec"], "replicas": 5}
    scaled = record_update(
        live,
        {**live, "spec": scaled_spec},
        manager="kubectl",
        subresource="scale",
        now="t2",
        api_version=APPS,
    )
    assert REPLICAS not in owned(scaled, "kubectl")
    with pytest.raises(ApplyConflict) as caught:
        apply(scaled, deployment(replicas=3))
    assert str(caught.value) == (
        "Apply failed with 1 conflict: "
        'conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas'
    )


def test_several_conflicts_are_grouped_by_manager() -> None:
    live = stored(apply(None, deployment("nginx:1.25", replicas=3), manager="team-a"))
    edited = copy.deepcopy(live)
    edited["metadata"]["labels"]["app"] = "shop"
    live = record_update(live, edited, manager="kubectl-edit", now="t2", api_version=APPS)
    config = deployment("nginx:1.27", replicas=4)
    with pytest.raises(ApplyConflict) as caught:
        apply(live, config, manager="team-b")
    assert [(c.manager, c.field) for c in caught.value.conflicts] == [
        ("kubectl-edit", ".metadata.labels.app"),
        ("team-a", ".spec.replicas"),
        ("team-a", '.spec.template.spec.containers[name="nginx"].image'),
    ]
    assert conflict_status(caught.value.conflicts)["message"] == (
        "Apply failed with 3 conflicts: "
        'conflicts with "kubectl-edit" using apps/v1:\n- .metadata.labels.app\n'
        'conflicts with "team-a":\n- .spec.replicas\n'
        '- .spec.template.spec.containers[name="nginx"].image'
    )


def test_create_gives_every_field_but_server_metadata_to_the_creator() -> None:
    created = record_update(None, stored(deployment()), manager="kubectl-create", now="t1", api_version=APPS)
    [entry] = created["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["time"]) == ("kubectl-create", "Update", "t1")
    fields = from_fields_v1(entry["fieldsV1"])
    assert fields == fields_of(deployment())
    assert not any(path[0] == "f:status" for path in fields)
    assert {("f:metadata", "f:uid"), ("f:metadata", "f:name"), ("f:apiVersion",)}.isdisjoint(fields)


def test_an_update_takes_the_fields_it_changes_from_the_applier() -> None:
    live = stored(apply(None, deployment("nginx:1.25")))
    edited = copy.deepcopy(live)
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    edited["spec"]["paused"] = True
    after = record_update(live, edited, manager="kubectl-edit", now="t2", api_version=APPS)
    assert owned(after, "kubectl-edit", "Update") == {(*NGINX, "f:image"), ("f:spec", "f:paused")}
    assert (*NGINX, "f:image") not in owned(after, "kubectl")
    # A no-op write changes nothing, not even the time.
    again = record_update(after, copy.deepcopy(after), manager="kubectl-edit", now="t3", api_version=APPS)
    assert again == after


def test_an_update_that_removes_a_field_takes_it_from_every_manager() -> None:
    live = stored(apply(None, deployment(sidecar=True)))
    edited = copy.deepcopy(live)
    del edited["spec"]["template"]["spec"]["containers"][1]
    after = record_update(live, edited, manager="kubectl-edit", now="t2", api_version=APPS)
    assert not any(path[: len(LOG)] == LOG for path in owned(after, "kubectl"))
    assert ("kubectl-edit", "Update") not in entries(after)


def test_status_writes_are_tracked_apart_from_the_main_resource() -> None:
    live = stored(apply(None, deployment()))
    reported = copy.deepcopy(live)
    reported["status"] = {"replicas": 3, "readyReplicas": 3}
    reported["spec"]["replicas"] = 99  # the status endpoint ignores spec; so does its manager entry
    after = record_update(
        live, reported, manager="kube-controller-manager", subresource="status", now="t2", api_version=APPS
    )
    [status_entry] = [e for e in after["metadata"]["managedFields"] if e.get("subresource") == "status"]
    assert status_entry["fieldsV1"] == {"f:status": {"f:readyReplicas": {}}}
    assert REPLICAS in owned(after, "kubectl")


def test_apply_ignores_status_and_server_owned_metadata_in_the_configuration() -> None:
    live = stored(apply(None, deployment()))
    config = deployment()
    config["status"] = {"replicas": 42}
    config["metadata"].update(uid="forged", resourceVersion="1", managedFields=[{"manager": "x"}])
    after = apply(live, config)
    assert after["status"] == live["status"]
    assert after["metadata"]["uid"] == "1b2c"
    assert after["metadata"]["resourceVersion"] == "7"
    assert [e["manager"] for e in after["metadata"]["managedFields"]] == ["kubectl"]


def test_first_apply_to_an_unmanaged_object_records_before_first_apply() -> None:
    legacy = stored(deployment(sidecar=True))
    after = apply(legacy, deployment(), manager="kubectl")
    assert (*LOG, "f:image") in owned(after, "before-first-apply", "Update")
    # Fields the applier never applied stay, because the placeholder owns them.
    assert [c["name"] for c in after["spec"]["template"]["spec"]["containers"]] == ["nginx", "log"]


def test_service_ports_are_keyed_by_port_and_defaulted_protocol() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    live = copy.deepcopy(service)
    live["spec"]["ports"] = [
        {"port": 80, "targetPort": 8080, "protocol": "TCP"},
        {"port": 53, "protocol": "UDP"},
    ]
    live = record_update(None, live, manager="kubectl-create", now="t1", api_version="v1")
    service["spec"]["ports"][0]["targetPort"] = 9090
    with pytest.raises(ApplyConflict) as caught:
        server_side_apply(live, service, manager="kubectl", force=False, now="t2", api_version="v1")
    assert [c.field for c in caught.value.conflicts] == ['.spec.ports[port=80,protocol="TCP"].targetPort']
    after = server_side_apply(live, service, manager="kubectl", force=True, now="t2", api_version="v1")
    assert after["spec"]["ports"] == [
        {"port": 80, "targetPort": 9090, "protocol": "TCP"},
        {"port": 53, "protocol": "UDP"},
    ]


def test_fields_v1_round_trips_keyed_items_set_items_and_the_dot_marker() -> None:
    obj = {
        "metadata": {"finalizers": ["example.com/a"]},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}},
    }
    encoded = to_fields_v1(fields_of(obj))
    assert encoded == {
        "f:metadata": {"f:finalizers": {'v:"example.com/a"': {}}},
        "f:spec": {
            "f:replicas": {},
            "f:template": {
                "f:spec": {"f:containers": {'k:{"name":"nginx"}': {".": {}, "f:image": {}, "f:name": {}}}}
            },
        },
    }
    assert from_fields_v1(encoded) == fields_of(obj)


@pytest.mark.parametrize("bad", [{"spec": {}}, {"f:spec": []}, {"f:spec": {'k:{"name"': {}}}])
def test_from_fields_v1_rejects_what_is_not_fields_v1(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"."):
        from_fields_v1(bad)


def test_clients_may_reset_managed_fields_with_a_single_empty_entry() -> None:
    live = stored(apply(None, deployment()))
    reset = copy.deepcopy(live)
    reset["metadata"]["managedFields"] = [{}]
    after = record_update(live, reset, manager="kubectl-patch", now="t2", api_version=APPS)
    assert "managedFields" not in after["metadata"]


def test_applied_order_wins_for_shared_items_and_live_only_items_stay_put() -> None:
    created = stored(deployment(sidecar=True))
    live = record_update(None, created, manager="kubectl-create", now="t1", api_version=APPS)
    reordered = deployment(sidecar=True)
    reordered["spec"]["template"]["spec"]["containers"].reverse()
    after = apply(live, reordered)
    assert [c["name"] for c in after["spec"]["template"]["spec"]["containers"]] == ["log", "nginx"]
    proxy = deployment()
    proxy["spec"]["template"]["spec"]["containers"].append({"name": "proxy", "image": "envoy:1"})
    after = apply(live, proxy, manager="mesh")
    assert [c["name"] for c in after["spec"]["template"]["spec"]["containers"]] == ["nginx", "log", "proxy"]
