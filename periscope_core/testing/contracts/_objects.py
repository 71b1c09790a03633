"""Contract cases for objects: create, get, list with selectors and paging, patches, errors."""

from __future__ import annotations

from typing import Any

import pytest

from periscope_core.domain.errors import Conflict, Invalid, NotFound
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.services.kube import KubeClient
from periscope_core.testing.contracts._support import CONFIGMAPS, NAMESPACES, PODS, configmap, names


class ObjectContract:
    """Needs the ``kube`` and ``namespace`` fixtures."""

    def pod_manifest(self, name: str) -> dict[str, Any]:
        """A pod whose ``main`` container has sh, echo and cat and logs a numbered line twice a second."""
        loop = "i=0; while true; do i=$((i+1)); echo line-$i; sleep 0.5; done"
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "contract"}},
            "spec": {
                "terminationGracePeriodSeconds": 0,
                "containers": [
                    {"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", loop]},
                    {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "3600"]},
                ],
            },
        }

    # -- create, get, list ---------------------------------------------------------------

    async def test_create_then_get(self, kube: KubeClient, namespace: str) -> None:
        created = await kube.create(CONFIGMAPS, configmap("settings", data={"a": "1"}), namespace=namespace)
        assert created["metadata"]["uid"]
        assert created["metadata"]["resourceVersion"]
        got = await kube.get(CONFIGMAPS, "settings", namespace=namespace)
        assert got["data"] == {"a": "1"}
        assert got["metadata"]["uid"] == created["metadata"]["uid"]

    async def test_namespaces_are_cluster_scoped(self, kube: KubeClient, namespace: str) -> None:
        listed = await kube.list(NAMESPACES, field_selector=f"metadata.name={namespace}")
        assert names(listed.items) == [namespace]
        assert listed.resource_version

    async def test_list_with_label_selectors(self, kube: KubeClient, namespace: str) -> None:
        for name, tier in (("a1", "a"), ("a2", "a"), ("b1", "b"), ("c1", "c")):
            await kube.create(CONFIGMAPS, configmap(name, labels={"tier": tier}), namespace=namespace)
        equality = await kube.list(CONFIGMAPS, namespace=namespace, label_selector="tier=a")
        assert names(equality.items) == ["a1", "a2"]
        # Spaces, parentheses and commas must survive the query string.
        set_based = await kube.list(CONFIGMAPS, namespace=namespace, label_selector="tier in (a, b),tier!=a")
        assert names(set_based.items) == ["b1"]

    async def test_list_with_field_selector(self, kube: KubeClient, namespace: str) -> None:
        for name in ("one", "two"):
            await kube.create(CONFIGMAPS, configmap(name), namespace=namespace)
        listed = await kube.list(CONFIGMAPS, namespace=namespace, field_selector="metadata.name=two")
        assert names(listed.items) == ["two"]

    async def test_list_pages_with_limit_and_continue(self, kube: KubeClient, namespace: str) -> None:
        expected = [f"page-{i}" for i in range(5)]
        for name in expected:
            await kube.create(CONFIGMAPS, configmap(name, labels={"paged": "yes"}), namespace=namespace)
        seen: list[str] = []
        token, pages = "", 0
        while True:
            page = await kube.list(
                CONFIGMAPS, namespace=namespace, label_selector="paged=yes", limit=2, continue_token=token
            )
            pages += 1
            assert len(page.items) <= 2
            seen.extend(str(item["metadata"]["name"]) for item in page.items)
            token = page.continue_token
            if not token:
                break
        assert sorted(seen) == expected  # each exactly once
        assert pages == 3

    async def test_pods_create_get_and_select(self, kube: KubeClient, namespace: str) -> None:
        await kube.create(PODS, self.pod_manifest("alpha"), namespace=namespace)
        other = self.pod_manifest("beta")
        other["metadata"]["labels"] = {"app": "other"}
        await kube.create(PODS, other, namespace=namespace)
        pod = await kube.get(PODS, "alpha", namespace=namespace)
        assert [c["name"] for c in pod["spec"]["containers"]] == ["main", "sidecar"]
        by_label = await kube.list(PODS, namespace=namespace, label_selector="app=contract")
        by_field = await kube.list(PODS, namespace=namespace, field_selector="metadata.name=beta")
        assert (names(by_label.items), names(by_field.items)) == (["alpha"], ["beta"])

    # -- patch, apply, delete ------------------------------------------------------------

    async def test_merge_patch(self, kube: KubeClient, namespace: str) -> None:
        await kube.create(CONFIGMAPS, configmap("cm", data={"a": "1", "b": "2"}), namespace=namespace)
        patched = await kube.patch(
            CONFIGMAPS, "cm", {"data": {"b": None, "c": "3"}}, patch_type="merge", namespace=namespace
        )
        assert patched["data"] == {"a": "1", "c": "3"}

    async def test_strategic_merge_patch_merges_lists_by_key(self, kube: KubeClient, namespace: str) -> None:
        await kube.create(PODS, self.pod_manifest("web"), namespace=namespace)
        patch = {"spec": {"containers": [{"name": "sidecar", "image": "busybox:1.37"}]}}
        patched = await kube.patch(PODS, "web", patch, patch_type="strategic", namespace=namespace)
        images = {c["name"]: c["image"] for c in patched["spec"]["containers"]}
        assert images == {"main": "busybox:1.36", "sidecar": "busybox:1.37"}

    async def test_json_patch(self, kube: KubeClient, namespace: str) -> None:
        await kube.create(CONFIGMAPS, configmap("cm", data={"a": "1", "b": "2"}), namespace=namespace)
        ops = [
            {"op": "add", "path": "/data/c", "value": "3"},
            {"op": "replace", "path": "/data/a", "value": "10"},
            {"op": "remove", "path": "/data/b"},
        ]
        patched = await kube.patch(CONFIGMAPS, "cm", ops, patch_type="json", namespace=namespace)
        assert patched["data"] == {"a": "10", "c": "3"}

    async def test_apply_conflict_then_force(self, kube: KubeClient, namespace: str) -> None:
        def applied(value: str) -> dict[str, Any]:
            return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owned"}, "data": {"key": value}}

        first = await kube.patch(
            CONFIGMAPS, "owned", applied("a"), patch_type="apply", namespace=namespace, field_manager="team-a"
        )
        assert first["data"] == {"key": "a"}
        with pytest.raises(Conflict) as conflict:
            await kube.patch(
                CONFIGMAPS, "owned", applied("b"), patch_type="apply", namespace=namespace, field_manager="team-b"
            )
        details = conflict.value.status.details
        assert details is not None
        assert details.causes
        cause = details.causes[0]
        assert (cause.reason, cause.field) == ("FieldManagerConflict", ".data.key")
        assert "team-a" in cause.message
        forced = await kube.patch(
            CONFIGMAPS, "owned", applied("b"), patch_type="apply", namespace=namespace,
            field_manager="team-b", force=True,
        )
        assert forced["data"] == {"key": "b"}
        managers = {m["manager"]: m["operation"] for m in forced["metadata"]["managedFields"]}
        assert managers.get("team-b") == "Apply"

    async def test_delete_then_not_found(self, kube: KubeClient, namespace: str) -> None:
        await kube.create(CONFIGMAPS, configmap("doomed"), namespace=namespace)
        await kube.delete(CONFIGMAPS, "doomed", namespace=namespace)
        with pytest.raises(NotFound):
            await kube.get(CONFIGMAPS, "doomed", namespace=namespace)

    # -- errors --------------------------------------------------------------------------

    async def test_missing_object_is_not_found_with_details(self, kube: KubeClient, namespace: str) -> None:
        with pytest.raises(NotFound) as missing:
            await kube.get(CONFIGMAPS, "absent", namespace=namespace)
        status = missing.value.status
        assert (status.code, status.reason) == (404, "NotFound")
        assert status.details is not None
        assert (status.details.name, status.details.kind) == ("absent", "configmaps")
        assert '"absent" not found' in status.message

    async def test_duplicate_is_conflict_already_exists(self, kube: KubeClient, namespace: str) -> None:
        await kube.create(CONFIGMAPS, configmap("twice"), namespace=namespace)
        with pytest.raises(Conflict) as duplicate:
            await kube.create(CONFIGMAPS, configmap("twice"), namespace=namespace)
        assert duplicate.value.status.reason == "AlreadyExists"

    async def test_invalid_object_is_invalid_with_causes(self, kube: KubeClient, namespace: str) -> None:
        with pytest.raises(Invalid) as invalid:
            await kube.create(CONFIGMAPS, configmap("Not_A_DNS_Name"), namespace=namespace)
        details = invalid.value.status.details
        assert invalid.value.status.code == 422
        assert details is not None
        assert any(c.field == "metadata.name" for c in details.causes)

    async def test_unknown_resource_is_not_found(self, kube: KubeClient) -> None:
        with pytest.raises(NotFound):
            await kube.list(GroupVersionResource("", "v1", "nonexistents"))
