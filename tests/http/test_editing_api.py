"""Editing and actions over HTTP, against the sandbox fleet, checked with the real kubectl.

Two more consoles run next to the session's (same fleet, same registry): one whose
dev identity is impersonated as an editor bound to ``cluster-admin``, one as a
viewer bound to ``view``. Each records its audit events in memory.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from anyio.from_thread import start_blocking_portal

from periscope_core.domain.audit import AuditEvent
from periscope_core.domain.identity import Impersonation, Principal
from periscope_core.ports.audit import AuditSink
from periscope_core.services.audit import AuditPipeline
from periscope_entrypoints.bootstrap import Settings, bootstrap
from periscope_entrypoints.http.server import HttpServer

KUBECTL = Path("/usr/bin/kubectl")
CLUSTER = "staging"
NS = "edit-api"
EDITOR, VIEWER = "edit-api-editor", "edit-api-viewer"
RBAC = "rbac.authorization.k8s.io"

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl is not installed at /usr/bin/kubectl"),
]


class RecordingSink(AuditSink):
    name = "recording"

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    async def write_batch(self, events: Sequence[AuditEvent]) -> None:
        self.events.extend(events)


@dataclasses.dataclass
class Door:
    """One console, the identity it acts as, and what it audited."""

    http: httpx.Client
    audit: RecordingSink

    def event(self, match: Callable[[AuditEvent], bool]) -> AuditEvent:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            found = [e for e in self.audit.events if match(e)]
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"no such audit event among {self.audit.events}")


class Kubectl:
    def __init__(self, kubeconfig: Path, cache: Path) -> None:
        self.kubeconfig, self.cache = kubeconfig, cache

    def __call__(self, *args: str, input: str | None = None, check: bool = True) -> str:
        argv = [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), "--context", CLUSTER,
                "--cache-dir", str(self.cache), *args]
        result = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=30, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
        return result.stdout if result.returncode == 0 else result.stderr

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "-o", "json"))

    def apply(self, obj: dict[str, Any], *args: str) -> None:
        """``kubectl apply`` (JSON on the wire; ``kubectl create`` would send protobuf)."""
        self("apply", *args, "-f", "-", input=yaml.safe_dump(obj))


@pytest.fixture(scope="module")
def kubectl(console: Any, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    k = Kubectl(console.workdir / "kubeconfig", tmp_path_factory.mktemp("kubectl-cache"))
    k.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    for user, role in ((EDITOR, "cluster-admin"), (VIEWER, "view")):
        k.apply({"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding", "metadata": {"name": user},
                 "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
                 "subjects": [{"apiGroup": RBAC, "kind": "User", "name": user}]})
    return k


@pytest.fixture(scope="module")
def doors(console: Any, kubectl: Kubectl) -> Iterator[dict[str, Door]]:
    """An editor's and a viewer's console, each with dev mode impersonating that user."""
    with start_blocking_portal() as portal:
        started: list[tuple[Any, HttpServer, Any]] = []
        doors: dict[str, Door] = {}
        for user in (EDITOR, VIEWER):
            settings = Settings(
                clusters_file=str(console.workdir / "clusters.yaml"), data_dir=str(console.workdir),
                dev_principal=Principal(subject=f"{user}@example.com", email=f"{user}@example.com"),
                dev_impersonation=Impersonation(user=user),
            )  # fmt: skip
            sink = RecordingSink()
            services = dataclasses.replace(portal.call(bootstrap, settings), audit=AuditPipeline([sink]))
            portal.start_task(services.audit.run)
            server = HttpServer(services, host="127.0.0.1", port=0)
            future, url = portal.start_task(server.serve)
            started.append((future, server, services))
            doors[user] = Door(httpx.Client(base_url=f"{url}/api/clusters/{CLUSTER}", timeout=20), sink)
        yield doors
        for door in doors.values():
            door.http.close()
        for future, server, services in started:
            server.stop()
            future.result(timeout=20)
            portal.call(services.aclose)


@pytest.fixture(scope="module")
def node(kubectl: Kubectl) -> str:
    return kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}")


@pytest.fixture
def editor(doors: dict[str, Door]) -> Door:
    return doors[EDITOR]


@pytest.fixture
def viewer(doors: dict[str, Door]) -> Door:
    return doors[VIEWER]


def _json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def _deployment(name: str, replicas: int = 1, image: str = "nginx:1.27") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "app", "image": image}]}}},
    }  # fmt: skip


def _url(name: str, resource: str = "deployments", group: str = "apps") -> str:
    return f"/resources/{group}/v1/{resource}/{NS}/{name}"


def _apply(door: Door, obj: dict[str, Any], url: str, **params: str) -> httpx.Response:
    return door.http.patch(url, content=yaml.safe_dump(obj), params=params,
                           headers={"content-type": "application/yaml"})


def test_apply_creates_then_updates_and_is_audited(editor: Door, kubectl: Kubectl) -> None:
    created = _json(_apply(editor, _deployment("web"), _url("web")))
    assert created["dryRun"] is False
    assert created["object"]["metadata"]["name"] == "web"
    assert "managedFields" not in created["object"]["metadata"]
    assert kubectl("get", "deploy", "web", "-n", NS, "-o", "jsonpath={.spec.replicas}") == "1"

    updated = _json(_apply(editor, _deployment("web", replicas=3), _url("web")))
    assert updated["diff"] == [{"path": ".spec.replicas", "op": "change", "before": 1, "after": 3}]
    assert updated["warnings"] == []
    assert kubectl("get", "deploy", "web", "-n", NS, "-o", "jsonpath={.spec.replicas}") == "3"
    managers = kubectl("get", "deploy", "web", "-n", NS, "--show-managed-fields", "-o",
                       "jsonpath={.metadata.managedFields[*].manager}")
    assert "periscope" in managers.split()

    event = editor.event(lambda e: e.verb == "apply" and e.resource.name == "web" and e.extra.get("dryRun") is False)
    assert (event.outcome, event.cluster, event.resource.namespace) == ("success", CLUSTER, NS)
    assert (event.resource.group, event.resource.version, event.resource.resource) == ("apps", "v1", "deployments")
    assert event.actor.sub == f"{EDITOR}@example.com"
    assert event.impersonated.user == EDITOR
    assert event.route == "applyResource"


def test_dry_run_changes_nothing(editor: Door, kubectl: Kubectl) -> None:
    _json(_apply(editor, _deployment("dry"), _url("dry")))
    preview = _json(_apply(editor, _deployment("dry", replicas=7), _url("dry"), dryRun="true"))
    assert preview["dryRun"] is True
    assert preview["object"]["spec"]["replicas"] == 7
    assert kubectl("get", "deploy", "dry", "-n", NS, "-o", "jsonpath={.spec.replicas}") == "1"
    _json(_apply(editor, _deployment("never"), _url("never"), dryRun="true"))
    assert "NotFound" in kubectl("get", "deploy", "never", "-n", NS, check=False)
    event = editor.event(lambda e: e.verb == "apply" and e.resource.name == "dry" and e.extra.get("dryRun") is True)
    assert event.extra == {"dryRun": True, "force": False}


def test_conflict_names_fields_and_managers_and_force_takes_ownership(editor: Door, kubectl: Kubectl) -> None:
    kubectl.apply(_deployment("gitops", replicas=2), "--server-side", "--field-manager=argocd-controller")
    conflict = _json(_apply(editor, _deployment("gitops", replicas=5), _url("gitops")), 409)
    assert conflict["error"] == "E_CONFLICT"
    assert conflict["status"]["reason"] == "Conflict"
    assert conflict["status"]["details"]["causes"][0]["field"] == ".spec.replicas"
    assert conflict["conflicts"] == [{"field": ".spec.replicas", "manager": "argocd-controller", "class": "gitops",
                                      "message": conflict["status"]["details"]["causes"][0]["message"]}]
    assert kubectl("get", "deploy", "gitops", "-n", NS, "-o", "jsonpath={.spec.replicas}") == "2"
    failed = editor.event(lambda e: e.verb == "apply" and e.resource.name == "gitops")
    assert failed.outcome == "failure"

    preview = _json(_apply(editor, _deployment("gitops", replicas=5), _url("gitops"), dryRun="true", force="true"))
    assert [(w["manager"], w["class"], w["fields"]) for w in preview["warnings"]] == [
        ("argocd-controller", "gitops", [".spec.replicas"])]
    assert "revert" in preview["warnings"][0]["message"]

    forced = _json(_apply(editor, _deployment("gitops", replicas=5), _url("gitops"), force="true"))
    assert forced["warnings"][0]["manager"] == "argocd-controller"
    assert kubectl("get", "deploy", "gitops", "-n", NS, "-o", "jsonpath={.spec.replicas}") == "5"
    meta = _json(editor.http.get(_url("gitops") + "/meta"))
    owners = {m["manager"]: m for m in meta["managedFields"]}
    assert owners["periscope"]["class"] == "periscope"
    assert ".spec.replicas" in owners["periscope"]["fields"]
    assert ".spec.replicas" not in owners["argocd-controller"]["fields"]
    assert owners["argocd-controller"]["class"] == "gitops"
    assert meta["resourceVersion"].isdigit()
    event = editor.event(lambda e: e.verb == "apply" and e.resource.name == "gitops" and e.extra.get("force"))
    assert event.outcome == "success"


def test_identity_mismatch_and_oversize_are_rejected(editor: Door) -> None:
    other = _deployment("web")
    other["metadata"]["namespace"] = "default"
    body = _json(_apply(editor, other, _url("web")), 400)
    assert body["error"] == "E_IDENTITY_MISMATCH"
    body = _json(_apply(editor, {**_deployment("web"), "apiVersion": "apps/v1beta2"}, _url("web")), 400)
    assert body["error"] == "E_IDENTITY_MISMATCH"
    big = "kind: ConfigMap\n" + "#" * (256 * 1024)
    response = editor.http.patch(_url("web"), content=big)
    assert _json(response, 413)["error"] == "E_TOO_LARGE"
    body = _json(editor.http.patch(_url("web"), content="a: [1"), 400)
    assert body["error"] == "E_INVALID_REQUEST"


def test_a_viewer_is_denied_and_the_denial_is_audited(viewer: Door, kubectl: Kubectl) -> None:
    body = _json(_apply(viewer, _deployment("viewer-made"), _url("viewer-made")), 403)
    assert body["error"] == "E_FORBIDDEN"
    assert body["status"]["reason"] == "Forbidden"
    assert "NotFound" in kubectl("get", "deploy", "viewer-made", "-n", NS, check=False)
    event = viewer.event(lambda e: e.verb == "apply" and e.resource.name == "viewer-made")
    assert event.outcome == "denied"
    assert event.actor.sub == f"{VIEWER}@example.com"
    assert _json(viewer.http.delete(_url("viewer-made")), 403)["error"] == "E_FORBIDDEN"


def test_yaml_meta_and_delete(editor: Door, kubectl: Kubectl, node: str) -> None:
    _json(_apply(editor, _deployment("doomed"), _url("doomed")))
    response = editor.http.get(_url("doomed") + "/yaml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert "managedFields" not in response.text
    assert yaml.safe_load(response.text)["metadata"]["name"] == "doomed"
    meta = _json(editor.http.get(f"/resources/core/v1/nodes/{node}/meta"))
    assert meta["resourceVersion"]
    assert editor.http.get(f"/resources/core/v1/nodes/{node}/nope").status_code == 404

    assert editor.http.delete(_url("doomed")).status_code == 204
    assert "NotFound" in kubectl("get", "deploy", "doomed", "-n", NS, check=False)
    assert _json(editor.http.delete(_url("doomed")), 404)["error"] == "E_NOT_FOUND"
    deleted = editor.event(lambda e: e.verb == "delete" and e.resource.name == "doomed" and e.outcome == "success")
    assert deleted.resource.resource == "deployments"


def test_scale_and_restart_behave_as_kubectl(editor: Door, viewer: Door, kubectl: Kubectl) -> None:
    _json(_apply(editor, _deployment("api", replicas=1), _url("api")))
    scaled = _json(editor.http.post(f"/deployments/{NS}/api/scale", json={"replicas": 4}))
    assert scaled["diff"] == [{"path": ".spec.replicas", "op": "change", "before": 1, "after": 4}]
    spec = kubectl.json("get", "deploy", "api", "-n", NS)["spec"]
    assert (spec["replicas"], spec["template"]["spec"]["containers"][0]["image"]) == (4, "nginx:1.27")
    assert _json(viewer.http.post(f"/deployments/{NS}/api/scale", json={"replicas": 0}), 403)["error"] \
        == "E_FORBIDDEN"
    assert _json(editor.http.post(f"/deployments/{NS}/api/scale", json={"replica": 1}), 400)["error"] \
        == "E_INVALID_REQUEST"
    editor.event(lambda e: e.extra.get("action") == "scale" and e.outcome == "failure")
    outcomes = [e.outcome for e in editor.audit.events if e.extra.get("action") == "scale"]
    assert outcomes == ["success", "failure"]
    assert editor.event(lambda e: e.extra.get("action") == "scale").extra == {
        "action": "scale", "dryRun": False, "force": True}

    _json(editor.http.post(f"/deployments/{NS}/api/restart"))
    spec = kubectl.json("get", "deploy", "api", "-n", NS)["spec"]
    assert spec["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"].endswith("Z")
    assert spec["replicas"] == 4
    assert _json(editor.http.post(f"/deployments/{NS}/missing/restart"), 404)["error"] == "E_NOT_FOUND"
    assert editor.http.post(f"/pods/{NS}/api/trigger").status_code == 404


def test_cordon_and_uncordon_behave_as_kubectl(editor: Door, kubectl: Kubectl, node: str) -> None:
    try:
        _json(editor.http.post(f"/nodes/{node}/cordon"))
        assert "SchedulingDisabled" in kubectl("get", "node", node)
    finally:
        _json(editor.http.post(f"/nodes/{node}/uncordon"))
    assert "SchedulingDisabled" not in kubectl("get", "node", node)
    assert _json(editor.http.post("/nodes/no-such-node/cordon"), 404)["error"] == "E_NOT_FOUND"


def test_suspend_resume_and_trigger_a_cronjob(editor: Door, kubectl: Kubectl) -> None:
    kubectl.apply({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report", "namespace": NS},
                   "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {
                       "restartPolicy": "Never", "containers": [{"name": "report", "image": "busybox:1.36"}]}}}}}})
    _json(editor.http.post(f"/cronjobs/{NS}/report/suspend"))
    assert kubectl("get", "cronjob", "report", "-n", NS, "-o", "jsonpath={.spec.suspend}") == "true"
    _json(editor.http.post(f"/cronjobs/{NS}/report/resume"))
    cron = kubectl.json("get", "cronjob", "report", "-n", NS)
    assert cron["spec"]["suspend"] is False

    triggered = _json(editor.http.post(f"/cronjobs/{NS}/report/trigger"), 201)
    name = triggered["jobName"]
    assert name.startswith("report-")
    job = kubectl.json("get", "job", name, "-n", NS)
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("CronJob", "report", True)
    assert owner["uid"] == cron["metadata"]["uid"]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1.36"
    event = editor.event(lambda e: e.verb == "trigger" and e.resource.name == "report")
    assert (event.outcome, event.extra["jobName"], event.resource.resource) == ("success", name, "cronjobs")
    # The browse route for the same kind still answers (no literal route shadows it).
    assert _json(editor.http.get(f"/cronjobs/{NS}/report"))["metadata"]["name"] == "report"


def test_label_edit(editor: Door, kubectl: Kubectl) -> None:
    kubectl.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "labelled", "namespace": NS},
                   "data": {"a": "b"}})
    kubectl("label", "configmap", "labelled", "-n", NS, "old=yes")
    _json(editor.http.post(f"/configmaps/{NS}/labelled/labels", json={"labels": {"team": "web", "old": None}}))
    labels = kubectl.json("get", "configmap", "labelled", "-n", NS)["metadata"]["labels"]
    assert labels == {"team": "web"}


def test_secret_key_reveal(editor: Door, viewer: Door, kubectl: Kubectl) -> None:
    kubectl.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": NS},
                   "data": {"password": "aHVudGVyMg=="}})
    response = editor.http.get(f"/secrets/{NS}/db/data/password")
    assert response.status_code == 200
    assert response.text == "hunter2"
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    event = editor.event(lambda e: e.verb == "secret_reveal" and e.extra.get("key") == "password")
    assert (event.outcome, event.extra["size"], event.resource.name) == ("success", 7, "db")

    assert _json(editor.http.get(f"/secrets/{NS}/db/data/nope"), 404)["error"] == "E_NOT_FOUND"
    assert editor.event(lambda e: e.verb == "secret_reveal" and e.extra.get("key") == "nope").outcome == "failure"
    assert editor.http.get(f"/configmaps/{NS}/db/data/password").status_code == 404
    assert _json(viewer.http.get(f"/secrets/{NS}/db/data/password"), 403)["error"] == "E_FORBIDDEN"
    assert viewer.event(lambda e: e.verb == "secret_reveal").outcome == "denied"

    yaml_response = editor.http.get(f"/resources/core/v1/secrets/{NS}/db/yaml")
    assert yaml.safe_load(yaml_response.text)["data"]["password"] == "aHVudGVyMg=="
    assert yaml_response.headers["cache-control"] == "no-store"
    via_yaml = editor.event(lambda e: e.verb == "secret_reveal" and e.extra.get("via") == "yaml")
    assert (via_yaml.extra["keys"], via_yaml.extra["key_count"]) == (["password"], 1)


def test_openapi_v3_is_proxied(editor: Door) -> None:
    index = _json(editor.http.get("/openapi/v3"))
    assert "apis/apps/v1" in index["paths"]
    apps = _json(editor.http.get("/openapi/v3/apis/apps/v1"))
    assert "io.k8s.api.apps.v1.Deployment" in apps["components"]["schemas"]
    assert editor.http.get("/openapi/v3/apis/apps/v1").headers["cache-control"].startswith("private")
    assert _json(editor.http.get("/openapi/v3/apis/%2E%2E/version"), 400)["error"] == "E_INVALID_REQUEST"
