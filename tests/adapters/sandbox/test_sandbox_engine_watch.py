"""Streams and hooks of the engine: watches, pod logs, exec authorization and fault injection."""

from __future__ import annotations

import time

import anyio
import pytest
from engine_client import ADMIN, BOB, TABLE, Client, Clock, configmap, pod

from periscope_adapters.sandbox._engine import ApiServer, ExecTarget, SandboxRequest, SandboxResponse
from periscope_adapters.sandbox._rbac import UserInfo

CMS = "/api/v1/namespaces/default/configmaps"
LOG = "/api/v1/namespaces/default/pods/web/log"


@pytest.fixture
def api() -> ApiServer:
    return ApiServer(name="watch", clock=Clock(), bookmark_interval=0.05)


@pytest.fixture
def client(api: ApiServer) -> Client:
    return Client(api)


# -- watch ------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["true", "1", "True"])
async def test_a_watch_starts_with_the_current_state_then_follows_changes(api: ApiServer, client: Client,
                                                                          flag: str) -> None:
    api.create_object(configmap("a"))
    watch = await client.get(CMS, query=[("watch", flag)])
    assert watch.status == 200
    assert watch.header("content-type") == "application/json"
    [added] = await watch.lines(1)
    assert (added["type"], added["object"]["kind"]) == ("ADDED", "ConfigMap")
    assert added["object"]["metadata"]["name"] == "a"
    api.create_object(configmap("b"))
    api.delete_object("v1", "configmaps", "default", "a")
    events = await watch.lines(2)
    seen = [(e["type"], e["object"]["metadata"]["name"]) for e in events]
    assert seen == [("ADDED", "b"), ("DELETED", "a")]
    assert int(events[1]["object"]["metadata"]["resourceVersion"]) == api.store.resource_version
    await watch.close()
    assert api.watch_stats().active == {}


async def test_a_watch_resumes_on_the_legacy_path(api: ApiServer, client: Client) -> None:
    created = api.create_object(configmap("a"))
    api.create_object(configmap("b"))
    api.update_object({**created, "data": {"k": "2"}})
    resumed = await client.get("/api/v1/watch/namespaces/default/configmaps/a",
                               query=[("resourceVersion", created["metadata"]["resourceVersion"])])
    [modified] = await resumed.lines(1)
    assert (modified["type"], modified["object"]["data"]) == ("MODIFIED", {"k": "2"})
    await resumed.close()


async def test_an_expired_resource_version_gets_an_error_event(api: ApiServer, client: Client) -> None:
    old = api.create_object(configmap("a"))["metadata"]["resourceVersion"]
    api.create_object(configmap("b"))
    api.faults.expire_history()
    watch = await client.get(CMS, query=[("watch", "true"), ("resourceVersion", old)])
    assert watch.status == 200
    [error] = await watch.lines(1)
    assert error == {"type": "ERROR", "object": {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f"too old resource version: {old} ({api.store.resource_version})", "reason": "Expired",
        "code": 410}}
    assert await watch.rest() == b""


async def test_bookmarks_and_the_initial_events_marker(client: Client, api: ApiServer) -> None:
    api.create_object(configmap("a"))
    watch = await client.get(CMS, query=[
        ("watch", "1"), ("allowWatchBookmarks", "true"), ("sendInitialEvents", "true"),
        ("resourceVersionMatch", "NotOlderThan")])
    added, marker, idle = await watch.lines(3)
    assert added["type"] == "ADDED"
    assert marker["type"] == "BOOKMARK"
    assert marker["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert idle == {"type": "BOOKMARK", "object": {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {
        "resourceVersion": str(api.store.resource_version), "creationTimestamp": None}}}
    await watch.close()
    refused = await client.get(CMS, query=[("watch", "1"), ("sendInitialEvents", "true")])
    assert refused.status == 422


async def test_timeout_seconds_ends_the_stream_quietly(client: Client) -> None:
    started = time.perf_counter()
    query = [("watch", "true"), ("timeoutSeconds", "1"), ("resourceVersion", "1")]
    watch = await client.get(CMS, query=query)
    assert await watch.rest() == b""
    assert 0.9 < time.perf_counter() - started < 2


async def test_table_watches_send_column_definitions_once(api: ApiServer, client: Client) -> None:
    api.create_object(pod("a"))
    watch = await client.get("/api/v1/namespaces/default/pods", query=[("watch", "true")], accept=TABLE)
    assert watch.header("content-type") == "application/json;as=Table;v=v1;g=meta.k8s.io"
    api.create_object(pod("b"))
    first, second = await watch.lines(2)
    assert first["object"]["kind"] == "Table"
    assert first["object"]["columnDefinitions"]
    assert second["object"]["columnDefinitions"] == []
    assert second["object"]["rows"][0]["cells"][0] == "b"
    await watch.close()


async def test_watches_are_counted_per_resource_namespace_and_user(api: ApiServer, client: Client) -> None:
    masters = {"Impersonate-User": "carol", "Impersonate-Group": "system:masters"}
    impersonated = await client.get(CMS, query=[("watch", "true")], headers=masters)
    everywhere = await client.get("/apis/apps/v1/deployments", query=[("watch", "true")])
    stats = api.watch_stats()
    assert stats.active == {("configmaps", "default", "carol"): 1, ("deployments.apps", "", "admin"): 1}
    await impersonated.close()
    await everywhere.close()
    assert api.watch_stats().active == {}
    assert api.watch_stats().opened[("configmaps", "default", "carol")] == 1


# -- logs -------------------------------------------------------------------------------


def running_pod(api: ApiServer, *containers: str) -> None:
    api.create_object({**pod("web", containers=containers, nodeName="node-1"),
                       "status": {"phase": "Running"}})


async def test_logs_need_a_container_when_the_pod_has_several(api: ApiServer, client: Client) -> None:
    running_pod(api, "app", "sidecar")
    ambiguous = await client.get(LOG)
    assert (ambiguous.status, ambiguous.json["message"]) == (
        400, "a container name must be specified for pod web, choose one of: [app sidecar]")
    wrong = await client.get(LOG, query=[("container", "nope")])
    assert wrong.json["message"] == "container nope is not valid for pod web"
    previous = await client.get(LOG, query=[("container", "app"), ("previous", "true")])
    assert previous.json["message"] == 'previous terminated container "app" in pod "web" not found'


async def test_log_filters(api: ApiServer, client: Client) -> None:
    running_pod(api, "app")
    clock = api.clock
    assert isinstance(clock, Clock)
    for i in range(5):
        api.append_log("default", "web", "app", f"line {i}")
        clock.advance(10)
    everything = await client.get(LOG)
    assert everything.header("content-type") == "text/plain"
    assert everything.text == "".join(f"line {i}\n" for i in range(5))
    assert (await client.get(LOG, query=[("tailLines", "2")])).text == "line 3\nline 4\n"
    assert (await client.get(LOG, query=[("sinceSeconds", "25")])).text == "line 3\nline 4\n"
    assert (await client.get(LOG, query=[("limitBytes", "8")])).text == "line 0\nl"
    stamped = await client.get(LOG, query=[("timestamps", "true"), ("tailLines", "1")])
    assert stamped.text == "2025-01-02T03:04:45.000000000Z line 4\n"
    api.rotate_log("default", "web", "app")
    assert (await client.get(LOG, query=[("previous", "true"), ("tailLines", "1")])).text == "line 4\n"
    assert (await client.get(LOG)).text == ""


async def test_following_a_log_streams_lines_until_the_pod_is_deleted(api: ApiServer, client: Client) -> None:
    running_pod(api, "app")
    api.append_log("default", "web", "app", "before")
    follow = await client.get(LOG, query=[("follow", "true")])
    assert follow.response.body == b"before\n"
    api.append_log("default", "web", "app", "live")
    assert follow.response.stream is not None
    with anyio.fail_after(1):
        assert await anext(follow.response.stream) == b"live\n"
    api.delete_object("v1", "pods", "default", "web")
    assert await follow.rest() == b""


async def test_a_waiting_container_has_no_logs_yet(api: ApiServer, client: Client) -> None:
    api.create_object({**pod("web", nodeName="node-1"), "status": {"phase": "Pending", "containerStatuses": [
        {"name": "app", "state": {"waiting": {"reason": "ContainerCreating"}}}]}})
    waiting = await client.get(LOG)
    assert waiting.json["message"] == 'container "app" in pod "web" is waiting to start: ContainerCreating'


async def test_an_image_pull_backoff_is_worded_like_the_kubelet(api: ApiServer, client: Client) -> None:
    api.create_object({**pod("web", nodeName="node-1"), "status": {"phase": "Pending", "containerStatuses": [
        {"name": "app", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}})
    waiting = await client.get(LOG)
    assert waiting.json["message"] == (
        'container "app" in pod "web" is waiting to start: trying and failing to pull image'
    )


async def test_a_crash_looping_container_serves_its_last_attempt(api: ApiServer, client: Client) -> None:
    api.create_object({**pod("web", nodeName="node-1"), "status": {"phase": "Running", "containerStatuses": [
        {"name": "app", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
         "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}})
    api.append_log("default", "web", "app", "panic: config missing")
    assert (await client.get(LOG)).text == "panic: config missing\n"


# -- exec -------------------------------------------------------------------------------


def exec_request(
    api: ApiServer, query: list[tuple[str, str]], *, name: str = "web", user: UserInfo = ADMIN
) -> ExecTarget | SandboxResponse:
    path = f"/api/v1/namespaces/default/pods/{name}/exec"
    request = SandboxRequest(method="GET", path=path, query=query, headers={}, body=b"", user=user)
    return api.authorize_exec(request)


async def test_exec_is_authorized_and_targets_a_container(api: ApiServer) -> None:
    api.create_object({**pod("web", containers=("app", "sidecar"), nodeName="node-1"),
                       "metadata": {"name": "web", "namespace": "default",
                                    "annotations": {"kubectl.kubernetes.io/default-container": "sidecar"}}})
    target = exec_request(api, [("command", "ls"), ("command", "-l"), ("stdout", "1"), ("tty", "True")])
    assert isinstance(target, ExecTarget)
    assert (target.container, target.command, target.stdout, target.tty, target.stdin) == (
        "sidecar", ["ls", "-l"], True, True, False)
    chosen = exec_request(api, [("command", "sh"), ("container", "app"), ("stdin", "true")])
    assert isinstance(chosen, ExecTarget)
    assert chosen.container == "app"
    wrong = exec_request(api, [("command", "sh"), ("container", "db"), ("stdout", "true")])
    assert isinstance(wrong, SandboxResponse)
    assert wrong.status == 400
    assert b"container db is not valid for pod web" in wrong.body
    missing = exec_request(api, [("command", "sh"), ("stdout", "true")], name="ghost")
    assert isinstance(missing, SandboxResponse)
    assert missing.status == 404
    denied = exec_request(api, [("command", "sh"), ("stdout", "true")], user=BOB)
    assert isinstance(denied, SandboxResponse)
    assert denied.status == 403
    assert b'cannot create resource \\"pods/exec\\"' in denied.body
    upgrade = await Client(api).post("/api/v1/namespaces/default/pods/web/exec", {})
    assert (upgrade.status, upgrade.json["message"]) == (400, "Upgrade request required")


# -- faults -----------------------------------------------------------------------------


async def test_injected_failures_answer_a_status_n_times(api: ApiServer, client: Client) -> None:
    api.faults.fail(r"/configmaps", status=503, times=2)
    first, second, third = [await client.get(CMS) for _ in range(3)]
    assert (first.status, first.json["reason"]) == (503, "ServiceUnavailable")
    assert (second.status, third.status) == (503, 200)
    api.faults.fail(r"watch=true", status=500)
    assert (await client.get(CMS)).status == 200
    failed = await client.get(CMS, query=[("watch", "true")])
    assert failed.json["message"] == "Internal error occurred: injected fault"


async def test_injected_delays_and_clear(api: ApiServer, client: Client) -> None:
    api.faults.delay(r"^/api/v1/namespaces/default/configmaps$", 0.2)
    started = time.perf_counter()
    await client.get(CMS)
    assert time.perf_counter() - started >= 0.2
    api.faults.clear()
    started = time.perf_counter()
    await client.get(CMS)
    assert time.perf_counter() - started < 0.1


async def test_dropped_watches_end_and_can_resume(api: ApiServer, client: Client) -> None:
    watch = await client.get(CMS, query=[("watch", "true")])
    last = api.create_object(configmap("a"))["metadata"]["resourceVersion"]
    await watch.lines(1)
    api.faults.drop_watches()
    assert await watch.rest() == b""
    api.create_object(configmap("b"))
    resumed = await client.get(CMS, query=[("watch", "true"), ("resourceVersion", last)])
    [event] = await resumed.lines(1)
    assert event["object"]["metadata"]["name"] == "b"
    await resumed.close()
