"""The sandbox apiserver engine, driven through `ApiServer.handle`: discovery, CRUD, errors, RBAC."""

from __future__ import annotations

import time
from typing import Any

import pytest
from engine_client import AGGREGATED, BOB, TABLE, Client, Clock, configmap, deployment, pod

from periscope_adapters.sandbox._engine import ApiServer
from periscope_adapters.sandbox._rbac import UserInfo

PODS = "/api/v1/namespaces/default/pods"
CMS = "/api/v1/namespaces/default/configmaps"


@pytest.fixture
def api() -> ApiServer:
    return ApiServer(name="test", clock=Clock())


@pytest.fixture
def client(api: ApiServer) -> Client:
    return Client(api)


# -- discovery and non-resource paths ---------------------------------------------------


async def test_discovery_answers_aggregated_or_legacy_as_the_accept_header_asks(client: Client) -> None:
    aggregated = await client.get("/apis", accept=AGGREGATED)
    assert aggregated.header("content-type") == AGGREGATED.split(",")[0]
    assert "apps" in [g["metadata"]["name"] for g in aggregated.json["items"]]
    legacy = await client.get("/apis")
    assert legacy.json["kind"] == "APIGroupList"
    core = await client.get("/api", accept=AGGREGATED)
    assert [v["version"] for v in core.json["items"][0]["versions"]] == ["v1"]
    assert (await client.get("/api")).json["versions"] == ["v1"]
    resources = (await client.get("/api/v1")).json
    assert resources["groupVersion"] == "v1"
    assert "pods/log" in [r["name"] for r in resources["resources"]]
    group = (await client.get("/apis/apps")).json
    assert (group["kind"], group["preferredVersion"]["groupVersion"]) == ("APIGroup", "apps/v1")
    assert (await client.get("/version")).json["gitVersion"].startswith("v1.")


async def test_openapi_is_json_only_and_v3_documents_are_indexed(client: Client) -> None:
    protobuf = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    refused = await client.get("/openapi/v2", accept=protobuf)
    assert refused.status == 406
    assert refused.json["reason"] == "NotAcceptable"
    assert "definitions" in (await client.get("/openapi/v2")).json
    index = (await client.get("/openapi/v3")).json["paths"]
    url = index["apis/apps/v1"]["serverRelativeURL"]
    document = await client.get(url.split("?")[0])
    assert any(p.endswith("/deployments") for p in document.json["paths"])
    assert (await client.get("/openapi/v3/apis/nope/v1")).status == 404


async def test_health_and_unknown_paths(client: Client) -> None:
    for path in ("/healthz", "/livez", "/readyz"):
        assert (await client.get(path)).text == "ok"
    unknown = await client.get("/apis/nope.io/v1/things")
    assert unknown.status == 404
    assert unknown.json["message"] == "the server could not find the requested resource"
    assert (await client.get("/nowhere")).text == "404 page not found\n"


# -- reads ------------------------------------------------------------------------------


async def test_lists_page_with_continue_and_drop_item_kinds(api: ApiServer, client: Client) -> None:
    for i in range(5):
        api.create_object(configmap(f"cm-{i}"))
    first = await client.get(CMS, query=[("limit", "2")])
    meta = first.json["metadata"]
    assert (first.json["kind"], meta["remainingItemCount"]) == ("ConfigMapList", 3)
    assert "kind" not in first.json["items"][0]
    second = await client.get(CMS, query=[("limit", "2"), ("continue", meta["continue"])])
    third = await client.get(CMS, query=[("limit", "2"), ("continue", second.json["metadata"]["continue"])])
    seen = [i["metadata"]["name"] for r in (first, second, third) for i in r.json["items"]]
    assert seen == [f"cm-{i}" for i in range(5)]
    assert "continue" not in third.json["metadata"]
    bad = await client.get(CMS, query=[("continue", "garbage!")])
    assert bad.status == 400
    assert bad.json["message"].startswith("invalid continue token")


async def test_label_and_field_selectors_with_per_kind_fields(api: ApiServer, client: Client) -> None:
    api.create_object(pod("a", labels={"app": "web"}, nodeName="n1"))
    api.create_object(pod("b", labels={"app": "db"}, nodeName="n2"))
    by_label = await client.get("/api/v1/pods", query=[("labelSelector", "app in (web)")])
    assert [i["metadata"]["name"] for i in by_label.json["items"]] == ["a"]
    by_field = await client.get(PODS, query=[("fieldSelector", "spec.nodeName=n2")])
    assert [i["metadata"]["name"] for i in by_field.json["items"]] == ["b"]
    unsupported = await client.get(PODS, query=[("fieldSelector", "spec.foo=bar")])
    assert (unsupported.status, unsupported.json["message"]) == (400, "field label not supported: spec.foo")
    generic = await client.get(CMS, query=[("fieldSelector", "data.k=v")])
    assert generic.json["message"] == (
        '"data.k" is not a known field selector: only "metadata.name", "metadata.namespace"')
    broken = await client.get(PODS, query=[("labelSelector", "app in (web")])
    assert broken.status == 400


async def test_get_as_table_and_as_partial_metadata(api: ApiServer, client: Client) -> None:
    api.create_object(pod("a"))
    listed = await client.get(PODS, accept=TABLE, query=[("includeObject", "Object")])
    assert listed.header("content-type") == "application/json;as=Table;v=v1;g=meta.k8s.io"
    table = listed.json
    assert [c["name"] for c in table["columnDefinitions"]][:3] == ["Name", "Ready", "Status"]
    assert table["rows"][0]["cells"][0] == "a"
    assert table["rows"][0]["object"]["kind"] == "Pod"
    single = await client.get(f"{PODS}/a", accept=TABLE)
    assert single.json["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    as_partial = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
    partial = await client.get(PODS, accept=as_partial)
    assert partial.json["kind"] == "PartialObjectMetadataList"
    assert set(partial.json["items"][0]) == {"kind", "apiVersion", "metadata"}
    refused = await client.get(PODS, accept="application/vnd.kubernetes.protobuf")
    assert refused.status == 406


async def test_not_found_names_the_resource_as_the_apiserver_does(client: Client) -> None:
    missing = await client.get(f"{PODS}/ghost")
    assert missing.json == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": 'pods "ghost" not found', "reason": "NotFound",
                            "details": {"name": "ghost", "kind": "pods"}, "code": 404}
    grouped = await client.get("/apis/apps/v1/namespaces/default/deployments/ghost")
    assert grouped.json["message"] == 'deployments.apps "ghost" not found'
    assert grouped.json["details"]["group"] == "apps"


# -- writes -----------------------------------------------------------------------------


async def test_create_generates_names_and_refuses_duplicates(client: Client) -> None:
    body = configmap("")
    body["metadata"] = {"generateName": "cfg-"}
    created = await client.post(CMS, body)
    assert created.status == 201
    assert created.json["metadata"]["name"].startswith("cfg-")
    assert len(created.json["metadata"]["name"]) == len("cfg-") + 5
    assert created.json["metadata"]["managedFields"][0]["manager"] == "engine-test"
    again = await client.post(CMS, {**body, "metadata": {"name": created.json["metadata"]["name"]}})
    assert (again.status, again.json["reason"]) == (409, "AlreadyExists")
    assert again.json["message"] == f'configmaps "{created.json["metadata"]["name"]}" already exists'


async def test_create_validates_names_namespaces_and_types(client: Client) -> None:
    nameless = await client.post(CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})
    assert nameless.status == 422
    assert nameless.json["message"] == 'ConfigMap "" is invalid: metadata.name: Required value: name or ' \
                                       "generateName is required"
    assert nameless.json["details"]["causes"] == [{
        "reason": "FieldValueRequired", "field": "metadata.name",
        "message": "Required value: name or generateName is required"}]
    bad = await client.post(CMS, configmap("Bad_Name"))
    assert bad.json["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: '
                                          '"Bad_Name": a lowercase RFC 1123 subdomain')
    nowhere = await client.post("/api/v1/namespaces/nowhere/configmaps", configmap("a", "nowhere"))
    assert (nowhere.status, nowhere.json["message"]) == (404, 'namespaces "nowhere" not found')
    other_ns = await client.post(CMS, configmap("a", "kube-system"))
    assert other_ns.json["message"] == (
        "the namespace of the provided object does not match the namespace sent on the request")
    wrong_version = await client.post(CMS, {**configmap("a"), "apiVersion": "apps/v1"})
    assert wrong_version.json["message"] == (
        "the API version in the data (apps/v1) does not match the expected API version (v1)")
    wrong_kind = await client.post(CMS, {**configmap("a"), "kind": "Secret"})
    assert (wrong_kind.status, wrong_kind.json["message"].split(":")[0]) == (
        400, 'Secret in version "v1" cannot be handled as a ConfigMap')
    text = await client.post(CMS, b"data: 1", content_type="text/plain")
    assert text.status == 415


async def test_dry_run_and_yaml_bodies(client: Client) -> None:
    dry = await client.post(CMS, configmap("dry"), query=[("dryRun", "All")])
    assert dry.status == 201
    assert "resourceVersion" not in dry.json["metadata"]
    assert (await client.get(f"{CMS}/dry")).status == 404
    yaml_body = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-yaml}\ndata: {k: v}\n"
    assert (await client.post(CMS, yaml_body, content_type="application/yaml")).status == 201


async def test_wrong_methods_are_refused(client: Client) -> None:
    assert (await client.put(CMS, configmap("a"))).status == 405
    assert (await client.post(f"{CMS}/a", configmap("a"))).status == 405
    assert (await client.post("/api/v1/configmaps", configmap("a"))).status == 405
    review = await client.get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    assert (review.status, review.json["reason"]) == (405, "MethodNotAllowed")


async def test_update_checks_the_resource_version_and_the_name(api: ApiServer, client: Client) -> None:
    created = api.create_object(configmap("a"))
    stale = {**created, "data": {"k": "new"}}
    assert (await client.put(f"{CMS}/a", stale)).status == 200
    conflict = await client.put(f"{CMS}/a", stale)
    assert conflict.status == 409
    assert conflict.json["message"] == (
        'Operation cannot be fulfilled on configmaps "a": the object has been modified; '
        "please apply your changes to the latest version and try again")
    renamed = await client.put(f"{CMS}/a", configmap("b"))
    assert renamed.json["message"] == "the name of the object (b) does not match the name on the URL (a)"
    assert (await client.put(f"{CMS}/ghost", configmap("ghost"))).status == 404


async def test_status_is_written_only_through_its_subresource(api: ApiServer, client: Client) -> None:
    api.create_object(deployment("web"))
    path = "/apis/apps/v1/namespaces/default/deployments/web"
    current = (await client.get(path)).json
    main = await client.put(path, {**current, "spec": {**current["spec"], "replicas": 2},
                                   "status": {"replicas": 9}})
    assert main.json["spec"]["replicas"] == 2
    assert "status" not in main.json
    status = await client.put(f"{path}/status", {**main.json, "spec": {**main.json["spec"], "replicas": 7},
                                                 "status": {"replicas": 2}})
    assert status.json["status"] == {"replicas": 2}
    assert status.json["spec"]["replicas"] == 2
    assert (await client.get(f"{path}/status")).json["status"] == {"replicas": 2}


async def test_delete_answers_with_a_status_or_the_object_as_the_registry_does(api: ApiServer,
                                                                               client: Client) -> None:
    created = api.create_object(configmap("a"))
    gone = await client.delete(f"{CMS}/a", {"kind": "DeleteOptions", "apiVersion": "v1",
                                            "propagationPolicy": "Background"})
    assert gone.json == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                         "details": {"name": "a", "kind": "configmaps", "uid": created["metadata"]["uid"]}}
    api.create_object(pod("p"))
    assert (await client.delete(f"{PODS}/p")).json["kind"] == "Pod"
    held = api.create_object({**configmap("held"), "metadata": {"name": "held", "namespace": "default",
                                                                 "finalizers": ["x.io/hold"]}})
    marked = await client.delete(f"{CMS}/held")
    assert marked.json["metadata"]["deletionTimestamp"] == "2025-01-02T03:04:05Z"
    precondition = await client.delete(f"{CMS}/held", {"preconditions": {"uid": "other"}})
    assert precondition.json["message"] == (
        'Operation cannot be fulfilled on configmaps "held": Precondition failed: UID in precondition: '
        f"other, UID in object meta: {held['metadata']['uid']}")
    policy = await client.delete(f"{CMS}/held", query=[("propagationPolicy", "Sideways")])
    assert policy.status == 422


async def test_deletecollection_deletes_what_the_selector_matches(api: ApiServer, client: Client) -> None:
    api.create_object(pod("a", labels={"app": "web"}))
    api.create_object(pod("b", labels={"app": "db"}))
    deleted = await client.delete(PODS, query=[("labelSelector", "app=web")])
    assert [i["metadata"]["name"] for i in deleted.json["items"]] == ["a"]
    assert api.get_object("v1", "Pod", "default", "b") is not None
    assert api.get_object("v1", "pods", "default", "a") is None


async def test_a_terminating_namespace_takes_no_new_content(api: ApiServer, client: Client) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    await client.post("/api/v1/namespaces", namespace)
    api.create_object({**configmap("held", "team"), "metadata": {"name": "held", "namespace": "team",
                                                                  "finalizers": ["x.io/hold"]}})
    deleting = await client.delete("/api/v1/namespaces/team")
    assert deleting.json["status"]["phase"] == "Terminating"
    refused = await client.post("/api/v1/namespaces/team/configmaps", configmap("new", "team"))
    assert refused.status == 403
    assert refused.json["message"] == (
        'configmaps "new" is forbidden: unable to create new content in namespace team '
        "because it is being terminated")


async def test_namespace_finalize_replaces_only_the_spec_finalizers(client: Client) -> None:
    current = (await client.get("/api/v1/namespaces/default")).json
    assert current["spec"]["finalizers"] == ["kubernetes"]
    body = {**current, "spec": {"finalizers": []}, "metadata": {**current["metadata"], "labels": {"x": "y"}}}
    finalized = await client.put("/api/v1/namespaces/default/finalize", body)
    assert finalized.json["spec"]["finalizers"] == []
    assert "x" not in finalized.json["metadata"]["labels"]


# -- authorization ----------------------------------------------------------------------


def grant(api: ApiServer, user: str, verbs: list[str], resources: list[str]) -> None:
    namespace = "default"
    api.create_object({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                       "metadata": {"name": f"{user}-role", "namespace": namespace},
                       "rules": [{"apiGroups": [""], "resources": resources, "verbs": verbs}]})
    api.create_object({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                       "metadata": {"name": f"{user}-binding", "namespace": namespace},
                       "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                   "name": f"{user}-role"},
                       "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}]})


async def test_rbac_is_checked_on_every_request_with_the_real_messages(api: ApiServer) -> None:
    bob = Client(api, BOB)
    denied = await bob.get(PODS)
    assert denied.status == 403
    assert denied.json["message"] == (
        'pods is forbidden: User "bob" cannot list resource "pods" in API group "" '
        'in the namespace "default"')
    named = await bob.get(f"{PODS}/x/log")
    assert named.json["message"] == (
        'pods "x" is forbidden: User "bob" cannot get resource "pods/log" in API group "" '
        'in the namespace "default"')
    grant(api, "bob", ["list", "watch"], ["pods"])
    assert (await bob.get(PODS)).status == 200
    assert (await bob.get("/api/v1/namespaces/kube-system/pods")).status == 403
    assert (await bob.get("/version")).status == 200  # system:public-info-viewer


async def test_impersonation_is_resolved_before_authorization(api: ApiServer, client: Client) -> None:
    as_bob = await client.get(PODS, headers={"Impersonate-User": "bob"})
    assert as_bob.status == 403
    assert 'User "bob" cannot list' in as_bob.json["message"]
    masters = {"Impersonate-User": "carol", "Impersonate-Group": "system:masters"}
    as_group = await client.get(PODS, headers=masters)
    assert as_group.status == 200
    refused = await Client(api, BOB).get(PODS, headers={"Impersonate-User": "admin"})
    assert refused.status == 403
    assert refused.json["message"] == (
        'users "admin" is forbidden: User "bob" cannot impersonate resource "users" '
        'in API group "" at the cluster scope')


async def test_access_and_identity_reviews(api: ApiServer, client: Client) -> None:
    path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
              "spec": {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "default"}}}
    allowed = await client.post(path, review)
    assert (allowed.status, allowed.json["status"]["allowed"]) == (201, True)
    as_bob = await client.post(path, review, headers={"Impersonate-User": "bob"})
    assert as_bob.json["status"]["allowed"] is False
    sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
           "spec": {"user": "bob", **review["spec"]}}
    grant(api, "bob", ["list"], ["pods"])
    answered = await client.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)
    assert (answered.json["kind"], answered.json["status"]["allowed"]) == ("SubjectAccessReview", True)
    rules = await Client(api, BOB).post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": "default"}})
    granted = {"verbs": ["list"], "apiGroups": [""], "resources": ["pods"]}
    assert granted in rules.json["status"]["resourceRules"]
    whoami = await Client(api, UserInfo(name="dana", groups=("devs", "system:authenticated"))).post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    assert whoami.json["status"]["userInfo"] == {
        "username": "dana", "groups": ["devs", "system:authenticated"]}


# -- object API and scale ---------------------------------------------------------------


async def test_the_object_api_versions_and_notifies_like_requests(api: ApiServer, client: Client) -> None:
    created = api.create_object(pod("p"))
    assert created["status"]["phase"] == "Pending"
    running = api.patch_status("v1", "Pod", "default", "p", {"phase": "Running", "podIP": "10.0.0.9"})
    assert int(running["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    assert (await client.get(f"{PODS}/p")).json["status"]["podIP"] == "10.0.0.9"
    assert [o["metadata"]["name"] for o in api.list_objects("", "pods", "default")] == ["p"]
    assert api.delete_object("v1", "pods", "default", "p") is not None
    assert api.delete_object("v1", "pods", "default", "p") is None
    namespaces = [o["metadata"]["name"] for o in api.list_objects("", "namespaces")]
    assert namespaces == ["default", "kube-node-lease", "kube-public", "kube-system"]


async def test_five_thousand_pods_list_well_under_a_second(api: ApiServer, client: Client) -> None:
    template: dict[str, Any] = pod("x", nodeName="node-1")
    for i in range(5000):
        api.create_object({**template, "metadata": {"name": f"pod-{i:04d}", "namespace": "default",
                                                    "labels": {"app": f"a{i % 7}"}}})
    started = time.perf_counter()
    listed = await client.get("/api/v1/pods")
    table = await client.get("/api/v1/pods", accept=TABLE)
    elapsed = time.perf_counter() - started
    assert len(listed.json["items"]) == 5000
    assert len(table.json["rows"]) == 5000
    assert elapsed < 0.8

