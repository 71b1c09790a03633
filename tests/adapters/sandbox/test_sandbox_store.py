"""The sandbox store: resourceVersions, consistent paging, history, watches and deletion semantics."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from engine_client import START, Clock

from periscope_adapters.sandbox._paging import decode_continue
from periscope_adapters.sandbox._status import ApiError
from periscope_adapters.sandbox._store import Store


def make_store(**kwargs: Any) -> Store:
    store = Store(clock=Clock(), **kwargs)
    store.create("", "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    return store


def cm(name: str, namespace: str = "default", **meta: Any) -> dict[str, Any]:
    metadata = {"name": name, "namespace": namespace, **meta}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"k": "v"}}


def owned(
    name: str, *owners: dict[str, Any], group: str = "apps", kind: str = "ReplicaSet"
) -> dict[str, Any]:
    refs = [{"apiVersion": "apps/v1", "kind": o["kind"], "name": o["metadata"]["name"],
             "uid": o["metadata"]["uid"]} for o in owners]
    return {"apiVersion": f"{group}/v1" if group else "v1", "kind": kind,
            "metadata": {"name": name, "namespace": "default", "ownerReferences": refs}, "spec": {}}


def deploy(store: Store, name: str) -> dict[str, Any]:
    return store.create("apps", "deployments", {"apiVersion": "apps/v1", "kind": "Deployment",
                                                "metadata": {"name": name, "namespace": "default"},
                                                "spec": {"replicas": 1}})


def with_meta(obj: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {**obj, "metadata": {**obj["metadata"], **meta}}


def names(store: Store, group: str, plural: str) -> list[str]:
    return [o["metadata"]["name"] for o in store.list(group, plural).items]


def test_every_write_takes_the_next_resource_version_and_sets_server_fields() -> None:
    store = make_store()
    first = store.create("", "configmaps", cm("a"))
    second = store.create("", "configmaps", cm("b"))
    assert int(second["metadata"]["resourceVersion"]) == int(first["metadata"]["resourceVersion"]) + 1
    assert first["metadata"]["creationTimestamp"] == START.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(first["metadata"]["uid"]) == 36
    assert first["metadata"]["uid"] != second["metadata"]["uid"]
    assert store.resource_version == int(second["metadata"]["resourceVersion"])


def test_generation_counts_spec_changes_only() -> None:
    store = make_store()
    dep = deploy(store, "web")
    assert dep["metadata"]["generation"] == 1
    relabelled = store.update("apps", "deployments", with_meta(dep, labels={"a": "b"}))
    assert relabelled["metadata"]["generation"] == 1
    scaled = store.update("apps", "deployments", {**relabelled, "spec": {"replicas": 3}})
    assert scaled["metadata"]["generation"] == 2
    with_status = store.update("apps", "deployments", {**scaled, "status": {"replicas": 3}})
    assert with_status["metadata"]["generation"] == 2


def test_a_no_op_update_commits_nothing() -> None:
    store = make_store()
    created = store.create("", "configmaps", cm("a"))
    rv = store.resource_version
    again = store.update("", "configmaps", with_meta(created))
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert store.resource_version == rv


def test_a_stale_resource_version_is_a_conflict() -> None:
    store = make_store()
    created = store.create("", "configmaps", cm("a"))
    store.update("", "configmaps", {**created, "data": {"k": "w"}})
    with pytest.raises(ApiError) as caught:
        store.update("", "configmaps", {**created, "data": {"k": "x"}})
    assert caught.value.code == 409
    assert caught.value.body["message"] == (
        'Operation cannot be fulfilled on configmaps "a": the object has been modified; '
        "please apply your changes to the latest version and try again")


def test_finalizers_hold_a_deleted_object_until_the_last_one_goes() -> None:
    store = make_store()
    store.create("", "configmaps", cm("a", finalizers=["x.io/one", "x.io/two"]))
    marked, gone = store.delete("", "configmaps", "default", "a")
    assert not gone
    assert marked["metadata"]["deletionTimestamp"]
    one_left = store.update("", "configmaps", with_meta(marked, finalizers=["x.io/two"]))
    assert store.get("", "configmaps", "default", "a") is one_left
    store.update("", "configmaps", with_meta(one_left, finalizers=[]))
    assert store.get("", "configmaps", "default", "a") is None


def test_background_deletion_collects_dependents_down_the_chain() -> None:
    store = make_store()
    dep = deploy(store, "web")
    rs = store.create("apps", "replicasets", owned("web-1", dep))
    store.create("", "pods", owned("web-1-a", rs, group="", kind="Pod"))
    store.delete("apps", "deployments", "default", "web")
    assert names(store, "apps", "replicasets") == []
    assert names(store, "", "pods") == []


def test_a_dependent_with_another_live_owner_only_loses_the_reference() -> None:
    store = make_store()
    one, two = deploy(store, "one"), deploy(store, "two")
    store.create("apps", "replicasets", owned("shared", one, two))
    store.delete("apps", "deployments", "default", "one")
    survivor = store.get("apps", "replicasets", "default", "shared")
    assert survivor is not None
    assert [r["name"] for r in survivor["metadata"]["ownerReferences"]] == ["two"]


def test_foreground_deletion_waits_for_dependents() -> None:
    store = make_store()
    dep = deploy(store, "web")
    rs = store.create("apps", "replicasets", {**owned("web-1", dep)})
    store.update("apps", "replicasets", with_meta(rs, finalizers=["x.io/hold"]))
    owner, gone = store.delete("apps", "deployments", "default", "web", propagation="Foreground")
    assert not gone
    assert owner["metadata"]["finalizers"] == ["foregroundDeletion"]
    terminating = store.get("apps", "replicasets", "default", "web-1")
    assert terminating is not None
    assert terminating["metadata"]["deletionTimestamp"]
    store.update("apps", "replicasets", with_meta(terminating, finalizers=[]))
    assert store.get("apps", "replicasets", "default", "web-1") is None
    assert store.get("apps", "deployments", "default", "web") is None


def test_orphan_deletion_keeps_dependents_without_the_reference() -> None:
    store = make_store()
    dep = deploy(store, "web")
    store.create("apps", "replicasets", owned("web-1", dep))
    _, gone = store.delete("apps", "deployments", "default", "web", propagation="Orphan")
    assert gone
    orphan = store.get("apps", "replicasets", "default", "web-1")
    assert orphan is not None
    assert "ownerReferences" not in orphan["metadata"]


def test_deleting_a_namespace_cascades_and_waits_for_finalizers() -> None:
    store = make_store()
    store.create("", "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    store.create("", "configmaps", cm("plain", "team"))
    held = store.create("", "configmaps", cm("held", "team", finalizers=["x.io/hold"]))
    ns, gone = store.delete("", "namespaces", "", "team")
    assert not gone
    assert ns["status"]["phase"] == "Terminating"
    assert names(store, "", "configmaps") == ["held"]
    latest = store.get("", "configmaps", "team", "held")
    assert latest is not None
    store.update("", "configmaps", with_meta(latest, finalizers=[]))
    assert store.get("", "namespaces", "", "team") is None
    assert held["metadata"]["finalizers"] == ["x.io/hold"]


def test_pages_are_a_consistent_snapshot_despite_concurrent_writes() -> None:
    store = make_store()
    for i in range(5):
        store.create("", "configmaps", cm(f"cm-{i}"))
    first = store.list("", "configmaps", limit=2)
    assert [o["metadata"]["name"] for o in first.items] == ["cm-0", "cm-1"]
    assert first.remaining == 3
    store.create("", "configmaps", cm("cm-2a"))
    doomed = store.get("", "configmaps", "default", "cm-3")
    assert doomed is not None
    store.delete("", "configmaps", "default", "cm-3")
    store.update("", "configmaps", {**cm("cm-4"), "data": {"k": "changed"}})
    rest = store.list("", "configmaps", continue_token=first.continue_token)
    assert [o["metadata"]["name"] for o in rest.items] == ["cm-2", "cm-3", "cm-4"]
    assert rest.items[-1]["data"] == {"k": "v"}
    assert rest.resource_version == first.resource_version
    assert not rest.continue_token
    assert decode_continue(first.continue_token) == (int(first.resource_version), "default/cm-1\x00")


def test_a_continue_token_older_than_the_history_is_expired_with_a_fresh_token() -> None:
    store = make_store()
    for i in range(3):
        store.create("", "configmaps", cm(f"cm-{i}"))
    first = store.list("", "configmaps", limit=1)
    store.create("", "configmaps", cm("cm-9"))
    store.compact()
    with pytest.raises(ApiError) as caught:
        store.list("", "configmaps", continue_token=first.continue_token)
    assert caught.value.code == 410
    assert caught.value.body["reason"] == "Expired"
    assert caught.value.body["message"].startswith("The provided continue parameter is too old")
    inconsistent = store.list("", "configmaps", continue_token=caught.value.body["metadata"]["continue"])
    assert [o["metadata"]["name"] for o in inconsistent.items] == ["cm-1", "cm-2", "cm-9"]


def test_exact_reads_see_the_past_and_refuse_what_is_forgotten_or_not_yet_written() -> None:
    store = make_store()
    store.create("", "configmaps", cm("a"))
    before = str(store.resource_version)
    store.create("", "configmaps", cm("b"))
    past = store.list("", "configmaps", resource_version=before, match="Exact")
    assert [o["metadata"]["name"] for o in past.items] == ["a"]
    assert past.resource_version == before
    with pytest.raises(ApiError) as too_large:
        store.list("", "configmaps", resource_version=str(store.resource_version + 5))
    assert too_large.value.code == 504
    store.compact()
    with pytest.raises(ApiError) as too_old:
        store.list("", "configmaps", resource_version=before, match="Exact")
    assert too_old.value.body["message"] == "The resourceVersion for the provided list is too old."


async def test_a_watch_resumes_from_history_and_refuses_a_compacted_version() -> None:
    store = make_store()
    store.create("", "configmaps", cm("a"))
    mark = str(store.resource_version)
    store.create("", "configmaps", cm("b"))
    store.delete("", "configmaps", "default", "a")
    watch = store.watch("", "configmaps", resource_version=mark)
    assert [(e.type, e.name) for e in watch.initial] == [("ADDED", "b"), ("DELETED", "a")]
    store.unwatch(watch)
    store.compact()
    with pytest.raises(ApiError) as caught:
        store.watch("", "configmaps", resource_version=mark)
    assert caught.value.body["message"] == f"too old resource version: {mark} ({store.resource_version})"


async def test_selectors_turn_updates_leaving_the_selection_into_deletes() -> None:
    store = make_store()
    created = store.create("", "configmaps", cm("a", labels={"tier": "web"}))
    watch = store.watch("", "configmaps", predicate=lambda o: o["metadata"]["labels"]["tier"] == "web",
                        resource_version=str(store.resource_version))
    store.update("", "configmaps", with_meta(created, labels={"tier": "db"}))
    event = watch.events.receive_nowait()
    assert (event.type, event.object["metadata"]["labels"]) == ("DELETED", {"tier": "db"})


async def test_a_watcher_that_falls_behind_is_closed() -> None:
    store = make_store(watch_buffer=2)
    watch = store.watch("", "configmaps", resource_version=str(store.resource_version), user="slow")
    for i in range(4):
        store.create("", "configmaps", cm(f"cm-{i}"))
    received = [watch.events.receive_nowait().name for _ in range(2)]
    assert received == ["cm-0", "cm-1"]
    with pytest.raises(anyio.EndOfStream):
        await watch.events.receive()
    assert store.watch_stats().active == {}


def test_watch_stats_count_open_watches_per_resource_namespace_and_user() -> None:
    store = make_store()
    one = store.watch("", "pods", namespace="default", user="alice")
    store.watch("", "pods", namespace="default", user="alice")
    store.watch("apps", "deployments", user="bob")
    store.unwatch(one)
    stats = store.watch_stats()
    assert stats.active == {("pods", "default", "alice"): 1, ("deployments.apps", "", "bob"): 1}
    assert stats.opened[("pods", "default", "alice")] == 2


def test_the_history_ring_forgets_its_oldest_events() -> None:
    store = make_store(history_size=3)
    start = store.resource_version
    for i in range(5):
        store.create("", "configmaps", cm(f"cm-{i}"))
    with pytest.raises(ApiError):
        store.watch("", "configmaps", resource_version=str(start))
    watch = store.watch("", "configmaps", resource_version=str(store.resource_version - 3))
    assert [e.name for e in watch.initial] == ["cm-2", "cm-3", "cm-4"]
