"""The editing, actions and OpenAPI services against an in-process sandbox apiserver."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
import yaml

from periscope_adapters.sandbox import ADMIN_USER, ApiServer, InProcessTransport
from periscope_core.domain.clusters import ClusterEntry, ClusterRegistry
from periscope_core.domain.editing import (
    ApplyConflict,
    IdentityMismatch,
    ManifestTooLarge,
    ObjectRef,
    SecretKeyNotFound,
)
from periscope_core.domain.errors import Forbidden, InvalidRequest, NotFound
from periscope_core.domain.identity import Impersonation
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.ports.transport import ChannelSocket, ClusterTransport, KubeRequest, KubeResponse
from periscope_core.services.actions import RESTART_ANNOTATION, ActionsService, job_name
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.editing import EditingService
from periscope_core.services.openapi import OpenApiProxy
from periscope_core.testing.backends import StaticBackend

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
BOB = Impersonation(user="bob", groups=("developers",))  # no binding: may do nothing
DEPLOYMENTS = GroupVersionResource("apps", "v1", "deployments")
WEB = ObjectRef.of("apps", "v1", "deployments", "web", "shop")
Obj = dict[str, Any]


def _deployment(replicas: int = 2, image: str = "nginx:1.27") -> Obj:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": image}]}}},
    }  # fmt: skip


class CountingTransport(ClusterTransport):
    """The in-process transport, counting the requests that reach the apiserver."""

    def __init__(self, inner: InProcessTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def send(self, request: KubeRequest) -> KubeResponse:
        self.paths.append(request.path)
        return await self.inner.send(request)

    async def websocket(self, request: KubeRequest, subprotocols: Sequence[str]) -> ChannelSocket:
        return await self.inner.websocket(request, subprotocols)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def api() -> ApiServer:
    api = ApiServer(name="edit")
    api.create_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    api.create_object({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}})
    api.create_object({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"},
                       "data": {"password": base64.b64encode(b"hunter2").decode()}})
    api.create_object({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {
        "name": "nightly-report", "namespace": "shop", "uid": "x"},
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {
            "metadata": {"labels": {"team": "data"}},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "report", "image": "busybox:1.36"}]}}}}}})  # fmt: skip
    return api


@pytest.fixture
def transport(api: ApiServer) -> CountingTransport:
    return CountingTransport(InProcessTransport(api, ADMIN_USER))


@pytest.fixture
def directory(transport: CountingTransport) -> ClusterDirectory:
    registry = ClusterRegistry(clusters=(ClusterEntry(name="edit", backend="sandbox"),))
    return ClusterDirectory(registry, {"sandbox": StaticBackend(transport, name="sandbox")})


@pytest.fixture
def editing(directory: ClusterDirectory) -> EditingService:
    return EditingService(directory)


@pytest.fixture
def actions(directory: ClusterDirectory) -> ActionsService:
    return ActionsService(directory, clock=lambda: NOW)


def _manifest(obj: Obj) -> bytes:
    return yaml.safe_dump(obj).encode()


def _live(api: ApiServer, kind: str = "Deployment", name: str = "web", namespace: str = "shop") -> Obj:
    obj = api.get_object("batch/v1" if kind in ("CronJob", "Job") else "apps/v1" if kind == "Deployment" else "v1",
                         kind, namespace, name)
    assert obj is not None
    return obj


def _owners(obj: Obj, path_part: str) -> set[str]:
    return {e["manager"] for e in obj["metadata"].get("managedFields", []) if path_part in str(e["fieldsV1"])}


async def test_apply_creates_then_updates_with_a_diff_against_the_live_object(
    api: ApiServer, editing: EditingService
) -> None:
    created = await editing.apply("edit", WEB, _manifest(_deployment()))
    assert created.object["metadata"]["name"] == "web"
    assert "managedFields" not in created.object["metadata"]
    assert [(c.path, c.op) for c in created.diff] == [
        (".apiVersion", "add"), (".kind", "add"), (".metadata", "add"), (".spec", "add")]
    assert _live(api)["metadata"]["managedFields"][0]["manager"] == "periscope"

    updated = await editing.apply("edit", WEB, _manifest(_deployment(replicas=4)))
    assert not updated.dry_run
    assert [(c.path, c.op, c.before, c.after) for c in updated.diff] == [(".spec.replicas", "change", 2, 4)]
    assert _live(api)["spec"]["replicas"] == 4


async def test_a_copy_of_the_live_object_applies_cleanly(api: ApiServer, editing: EditingService) -> None:
    await editing.apply("edit", WEB, _manifest(_deployment()))
    live = _live(api) | {"status": {"replicas": 99}}
    result = await editing.apply("edit", WEB, _manifest(live))
    assert result.diff == []


async def test_dry_run_changes_nothing(api: ApiServer, editing: EditingService) -> None:
    await editing.apply("edit", WEB, _manifest(_deployment()))
    before = _live(api)
    preview = await editing.apply("edit", WEB, _manifest(_deployment(replicas=9)), dry_run=True)
    assert preview.dry_run
    assert preview.object["spec"]["replicas"] == 9
    assert [c.path for c in preview.diff] == [".spec.replicas"]
    assert _live(api) == before
    missing = ObjectRef.of("apps", "v1", "deployments", "new", "shop")
    await editing.apply("edit", missing, _manifest(_deployment() | {"metadata": {"name": "new"}}), dry_run=True)
    assert api.get_object("apps/v1", "Deployment", "shop", "new") is None


async def test_a_conflict_names_each_field_and_its_manager_and_force_takes_ownership(
    api: ApiServer, editing: EditingService, directory: ClusterDirectory
) -> None:
    client = await directory.client("edit")
    await client.patch(DEPLOYMENTS, "web", _deployment(), patch_type="apply", namespace="shop",
                       field_manager="argocd-controller")
    with pytest.raises(ApplyConflict) as caught:
        await editing.apply("edit", WEB, _manifest(_deployment(replicas=5, image="nginx:2")))
    conflicts = {(c.field, c.manager, c.manager_class) for c in caught.value.conflicts}
    assert conflicts == {
        (".spec.replicas", "argocd-controller", "gitops"),
        ('.spec.template.spec.containers[name="app"].image', "argocd-controller", "gitops"),
    }
    assert caught.value.status.details is not None
    assert len(caught.value.status.details.causes) == 2
    assert _live(api)["spec"]["replicas"] == 2

    preview = await editing.apply("edit", WEB, _manifest(_deployment(replicas=5)), dry_run=True, force=True)
    assert [(w.manager, w.fields) for w in preview.warnings] == [("argocd-controller", [".spec.replicas"])]
    assert "revert" in preview.warnings[0].message
    assert _owners(_live(api), "f:replicas") == {"argocd-controller"}

    forced = await editing.apply("edit", WEB, _manifest(_deployment(replicas=5)), force=True)
    assert forced.warnings
    assert forced.warnings[0].manager == "argocd-controller"
    assert _live(api)["spec"]["replicas"] == 5
    meta = await editing.meta("edit", WEB)
    owners = {m.manager: m for m in meta.managed_fields}
    assert ".spec.replicas" in owners["periscope"].fields
    assert ".spec.replicas" not in owners["argocd-controller"].fields
    assert (owners["periscope"].manager_class, owners["argocd-controller"].manager_class) == ("periscope", "gitops")
    assert meta.resource_version == _live(api)["metadata"]["resourceVersion"]
    assert meta.generation >= 1


async def test_wrong_identity_and_oversize_are_refused_before_any_request(
    editing: EditingService, transport: CountingTransport
) -> None:
    other = _deployment() | {"metadata": {"name": "other", "namespace": "shop"}}
    with pytest.raises(IdentityMismatch):
        await editing.apply("edit", WEB, _manifest(other))
    with pytest.raises(ManifestTooLarge):
        await editing.apply("edit", WEB, b"#" * (256 * 1024 + 1))
    assert transport.paths == []


async def test_a_caller_without_rights_is_forbidden(api: ApiServer, editing: EditingService) -> None:
    with pytest.raises(Forbidden):
        await editing.apply("edit", WEB, _manifest(_deployment()), as_=BOB)
    assert api.get_object("apps/v1", "Deployment", "shop", "web") is None


async def test_yaml_strips_managed_fields_and_delete_is_background(api: ApiServer, editing: EditingService) -> None:
    await editing.apply("edit", WEB, _manifest(_deployment()))
    text = await editing.yaml("edit", WEB)
    assert text.secret_keys is None
    assert "managedFields" not in text.text
    assert yaml.safe_load(text.text)["spec"]["replicas"] == 2
    secret = await editing.yaml("edit", ObjectRef.of("core", "v1", "secrets", "db", "shop"))
    assert secret.secret_keys == ["password"]
    assert yaml.safe_load(secret.text)["data"]["password"] == base64.b64encode(b"hunter2").decode()

    await editing.delete("edit", WEB)
    assert api.get_object("apps/v1", "Deployment", "shop", "web") is None
    with pytest.raises(NotFound):
        await editing.delete("edit", WEB)


async def test_scale_goes_through_the_scale_subresource(
    api: ApiServer, editing: EditingService, actions: ActionsService, transport: CountingTransport
) -> None:
    await editing.apply("edit", WEB, _manifest(_deployment()))
    result = await actions.scale("edit", "deployments", "shop", "web", 6)
    assert result.object["kind"] == "Scale"
    assert result.object["spec"]["replicas"] == 6
    assert [(c.path, c.before, c.after) for c in result.diff] == [(".spec.replicas", 2, 6)]
    assert transport.paths[-1].endswith("/deployments/web/scale")
    assert _live(api)["spec"]["replicas"] == 6
    with pytest.raises(NotFound):
        await actions.scale("edit", "deployments", "shop", "missing", 1)
    with pytest.raises(InvalidRequest):
        await actions.scale("edit", "pods", "shop", "web", 1)
    with pytest.raises(InvalidRequest):
        await actions.scale("edit", "deployments", "shop", "web", -1)


async def test_restart_stamps_the_template_and_keeps_what_the_editor_applied(
    api: ApiServer, editing: EditingService, actions: ActionsService
) -> None:
    await editing.apply("edit", WEB, _manifest(_deployment()))
    result = await actions.restart("edit", "deployments", "shop", "web")
    live = _live(api)
    assert live["spec"]["template"]["metadata"]["annotations"] == {RESTART_ANNOTATION: "2026-03-04T05:06:07Z"}
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert live["spec"]["replicas"] == 2
    assert [c.path for c in result.diff] == [".spec.template.metadata.annotations"]
    assert _owners(live, "restartedAt") == {"periscope-restart"}
    with pytest.raises(NotFound):
        await actions.restart("edit", "deployments", "shop", "missing")
    assert api.get_object("apps/v1", "Deployment", "shop", "missing") is None


async def test_cordon_suspend_and_labels(api: ApiServer, actions: ActionsService, directory: ClusterDirectory) -> None:
    await actions.set_unschedulable("edit", "n1", True)
    assert _live(api, "Node", "n1", "")["spec"]["unschedulable"] is True
    await actions.set_unschedulable("edit", "n1", False)
    assert _live(api, "Node", "n1", "")["spec"]["unschedulable"] is False
    with pytest.raises(NotFound):
        await actions.set_unschedulable("edit", "ghost", True)
    assert api.get_object("v1", "Node", "", "ghost") is None

    await actions.set_suspended("edit", "shop", "nightly-report", True)
    assert _live(api, "CronJob", "nightly-report")["spec"]["suspend"] is True
    await actions.set_suspended("edit", "shop", "nightly-report", False)
    assert _live(api, "CronJob", "nightly-report")["spec"]["suspend"] is False

    client = await directory.client("edit")
    await client.patch(GroupVersionResource("", "v1", "nodes"), "n1", {"metadata": {"labels": {"owned": "helm"}}},
                       patch_type="merge", field_manager="helm")
    result = await actions.edit_labels("edit", "nodes", None, "n1", {"zone": "a", "owned": None})
    assert _live(api, "Node", "n1", "")["metadata"]["labels"] == {"zone": "a"}
    assert [(c.path, c.op) for c in result.diff] == [(".metadata.labels.owned", "remove"),
                                                      (".metadata.labels.zone", "add")]
    with pytest.raises(InvalidRequest):
        await actions.edit_labels("edit", "nodes", None, "n1", {})
    with pytest.raises(InvalidRequest):
        await actions.edit_labels("edit", "nodes", "shop", "n1", {"a": "b"})


async def test_trigger_creates_a_job_owned_by_the_cronjob(api: ApiServer, actions: ActionsService) -> None:
    triggered = await actions.trigger("edit", "shop", "nightly-report")
    assert triggered.job_name == f"nightly-report-{int(NOW.timestamp())}"
    job = _live(api, "Job", triggered.job_name)
    cron = _live(api, "CronJob", "nightly-report")
    assert job["metadata"]["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "CronJob",
                                                   "name": "nightly-report", "uid": cron["metadata"]["uid"],
                                                   "controller": True}]
    assert job["metadata"]["labels"]["team"] == "data"
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1.36"
    assert job["metadata"]["managedFields"][0]["manager"] == "periscope"
    with pytest.raises(Forbidden):
        await actions.trigger("edit", "shop", "nightly-report", as_=BOB)


def test_job_names_keep_their_suffix_within_63_characters() -> None:
    assert job_name("a" * 80, NOW) == "a" * 52 + f"-{int(NOW.timestamp())}"
    assert len(job_name("a" * 80, NOW)) == 63
    assert job_name("x" * 51 + "-.y", NOW) == "x" * 51 + f"-{int(NOW.timestamp())}"


async def test_secret_reveal_returns_one_decoded_value(actions: ActionsService) -> None:
    assert await actions.reveal_secret("edit", "shop", "db", "password") == b"hunter2"
    with pytest.raises(SecretKeyNotFound) as caught:
        await actions.reveal_secret("edit", "shop", "db", "nope")
    assert (caught.value.http_status, caught.value.code) == (404, "E_NOT_FOUND")
    with pytest.raises(NotFound):
        await actions.reveal_secret("edit", "shop", "ghost", "password")
    with pytest.raises(Forbidden):
        await actions.reveal_secret("edit", "shop", "db", "password", as_=BOB)


async def test_openapi_documents_are_cached_per_identity_with_a_ttl(
    directory: ClusterDirectory, transport: CountingTransport
) -> None:
    now = [0.0]
    proxy = OpenApiProxy(directory, ttl=60, clock=lambda: now[0])
    index = msgspec.json.decode(await proxy.document("edit"))
    assert "apis/apps/v1" in index["paths"]
    apps = msgspec.json.decode(await proxy.document("edit", "apis/apps/v1"))
    assert "io.k8s.api.apps.v1.Deployment" in apps["components"]["schemas"]
    await proxy.document("edit", "/apis/apps/v1/")
    assert transport.paths == ["/openapi/v3", "/openapi/v3/apis/apps/v1"]
    await proxy.document("edit", "apis/apps/v1", as_=Impersonation(user="carol", groups=("system:masters",)))
    assert len(transport.paths) == 3
    now[0] = 61
    await proxy.document("edit", "apis/apps/v1")
    assert len(transport.paths) == 4
    for bad in ("../version", "apis/../../api", "apis/apps/v1?x=1", "apis#frag", "apis/%2e%2e", "a//b"):
        with pytest.raises(InvalidRequest):
            await proxy.document("edit", bad)
    assert len(transport.paths) == 4


async def test_openapi_cache_is_bounded_in_bytes(directory: ClusterDirectory, transport: CountingTransport) -> None:
    proxy = OpenApiProxy(directory, max_bytes=1)
    await proxy.document("edit")
    await proxy.document("edit")
    assert transport.paths == ["/openapi/v3", "/openapi/v3"]
