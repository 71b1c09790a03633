"""Exec over the real app on uvicorn: a websockets client, the sandbox fleet's exec endpoints behind it.

A console of its own runs next to the session's (same fleet), with a registry that adds
policy variants of ``prod`` (exec disabled, short idle timers, recording on), dev mode
impersonating a user bound to ``cluster-admin`` on prod and edge but not on staging, and
its audit events kept in memory.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import ssl
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml
from anyio.from_thread import start_blocking_portal
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from periscope_adapters.recordings import FileRecordingStore
from periscope_core.domain.audit import AuditEvent
from periscope_core.domain.identity import Impersonation, Principal
from periscope_core.ports.audit import AuditSink
from periscope_core.services.audit import AuditPipeline
from periscope_core.services.exec_sessions import ExecSessions
from periscope_entrypoints.bootstrap import Settings, bootstrap
from periscope_entrypoints.http.server import HttpServer

USER = "exec-alice"
RBAC = "rbac.authorization.k8s.io"


class MemorySink(AuditSink):
    name = "memory"

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    async def write_batch(self, events: Sequence[AuditEvent]) -> None:
        self.events.extend(events)

    async def wait(self, match: Callable[[AuditEvent], bool]) -> AuditEvent:
        with anyio.fail_after(5):
            # Written from the console's thread: there is no event this loop could wait on.
            while not (found := [e for e in self.events if match(e)]):  # noqa: ASYNC110
                await anyio.sleep(0.02)
        return found[-1]


@dataclasses.dataclass
class ExecConsole:
    url: str
    audit: MemorySink
    pods: dict[str, str]
    """Role -> "cluster/namespace/pod" of a running pod to exec into."""

    @property
    def origin(self) -> str:
        return self.url

    def ws_url(self, role: str, cluster: str = "", **query: str) -> str:
        home, namespace, pod = self.pods[role].split("/")
        params = "&".join(f"{k}={v}" for k, v in query.items())
        base = self.url.replace("http", "ws", 1)
        return f"{base}/api/clusters/{cluster or home}/pods/{namespace}/{pod}/exec?{params}"

    def http_url(self, role: str, cluster: str = "", suffix: str = "") -> str:
        return self.ws_url(role, cluster).replace("ws", "http", 1).split("?")[0] + suffix


def _sandbox(cluster: Any) -> httpx.Client:
    context = ssl.create_default_context(cadata=cluster.ca_pem.decode())
    return httpx.Client(base_url=cluster.url, verify=context, timeout=10,
                        headers={"Authorization": f"Bearer {cluster.admin_token}"})  # fmt: skip


def _grant_and_find_pods(fleet: Any) -> dict[str, str]:
    """Bind USER to cluster-admin on prod and edge; pick a pod per role."""
    pods: dict[str, str] = {}
    for name in ("prod", "edge"):
        with _sandbox(fleet.clusters[name]) as api:
            binding = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding", "metadata": {"name": USER},
                       "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "cluster-admin"},
                       "subjects": [{"apiGroup": RBAC, "kind": "User", "name": USER}]}  # fmt: skip
            assert api.post(f"/apis/{RBAC}/v1/clusterrolebindings", json=binding).status_code in (201, 409)
    for role, cluster, want in (("shell", "prod", "debian"), ("shell", "staging", "debian"),
                                ("distroless", "edge", "distroless")):  # fmt: skip
        with _sandbox(fleet.clusters[cluster]) as api:
            items = api.get("/api/v1/pods").json()["items"]
        for item in items:
            image = item["spec"]["containers"][0]["image"]
            family = "distroless" if "distroless" in image else "debian"
            if family == want and not any(f in image for f in ("busybox", "alpine")) and item["spec"].get("nodeName"):
                key = role if cluster != "staging" else "staging"
                pods[key] = f"{cluster}/{item['metadata']['namespace']}/{item['metadata']['name']}"
                break
    return pods


def _registry(workdir: Path, target: Path) -> Path:
    clusters = yaml.safe_load((workdir / "clusters.yaml").read_text())["clusters"]
    prod = next(c for c in clusters if c["name"] == "prod")
    variants = {
        "locked": {"enabled": False},
        "quiet": {"serverIdleSeconds": 2, "idleWarnSeconds": 1},
        "recorded": {"recording": True},
    }
    clusters += [{**prod, "name": name, "exec": overrides} for name, overrides in variants.items()]
    target.write_text(yaml.safe_dump({"clusters": clusters}))
    return target


@contextmanager
def _serving(console: Any, workdir: Path, pods: dict[str, str]) -> Iterator[tuple[ExecConsole, HttpServer]]:
    settings = Settings(
        clusters_file=str(_registry(console.workdir, workdir / "clusters.yaml")), data_dir=str(workdir),
        dev_principal=Principal(subject=f"{USER}@example.com"), dev_impersonation=Impersonation(user=USER),
    )  # fmt: skip
    with start_blocking_portal() as portal:
        sink = MemorySink()
        services = portal.call(bootstrap, settings)
        audit = AuditPipeline([sink])
        exec_sessions = ExecSessions(services.directory, defaults=settings.exec_policy(), audit=audit,
                                     recordings=FileRecordingStore(settings.recordings_dir))  # fmt: skip
        services = dataclasses.replace(services, audit=audit, exec_sessions=exec_sessions)
        portal.start_task(audit.run)
        server = HttpServer(services, host="127.0.0.1", port=0)
        future, url = portal.start_task(server.serve)
        yield ExecConsole(url=url, audit=sink, pods=pods), server
        server.stop()
        future.result(timeout=20)
        portal.call(services.aclose)


@pytest.fixture(scope="module")
def exec_console(console: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExecConsole]:
    with _serving(console, tmp_path_factory.mktemp("exec-console"), _grant_and_find_pods(console.fleet)) as served:
        yield served[0]


class Shell:
    """A browser terminal: collects output and control messages, answers pings."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.output = bytearray()
        self.messages: list[dict[str, Any]] = []

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    async def until(self, done: Callable[[Shell], bool], timeout: float = 5.0) -> None:
        with anyio.fail_after(timeout):
            while not done(self):
                try:
                    frame = await self.ws.recv()
                except ConnectionClosed:
                    return
                if isinstance(frame, bytes):
                    self.output += frame
                    continue
                message = json.loads(frame)
                self.messages.append(message)
                if message["type"] == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))

    async def output_has(self, text: str) -> None:
        await self.until(lambda s: text.encode() in s.output)

    async def closed(self, timeout: float = 5.0) -> dict[str, Any]:
        await self.until(lambda s: bool(s.of("closed")) or s.ws.close_code is not None, timeout)
        await self.ws.wait_closed()
        return self.of("closed")[-1] if self.of("closed") else {}


@pytest.fixture
def shell(exec_console: ExecConsole) -> Callable[..., AbstractAsyncContextManager[Shell]]:
    """Open a terminal: ``async with shell(role, cluster, **query) as sh``."""

    @asynccontextmanager
    async def open_shell(role: str = "shell", cluster: str = "", **query: str) -> AsyncIterator[Shell]:
        url = exec_console.ws_url(role, cluster, **query)
        async with connect(url, origin=exec_console.origin, max_size=None) as ws:  # type: ignore[arg-type]
            yield Shell(ws)

    return open_shell


def _command(*argv: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(argv)).encode()).decode().rstrip("=")


@pytest.fixture
async def api(exec_console: ExecConsole) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=exec_console.url, timeout=10) as client:
        yield client


async def _session_states(api: httpx.AsyncClient) -> list[str]:
    return [s["state"] for s in (await api.get("/api/exec/sessions")).json()["sessions"]]


async def _wait_no_sessions(api: httpx.AsyncClient) -> None:
    with anyio.fail_after(5):
        while (await api.get("/api/exec/sessions")).json()["sessions"]:  # noqa: ASYNC110 (another process's state)
            await anyio.sleep(0.02)


async def test_an_interactive_round_trip(shell: Any, exec_console: ExecConsole) -> None:
    async with shell() as sh:
        await sh.output_has("# ")
        hello = sh.of("hello")[0]
        assert hello["transport"] == "ws_v5"
        assert hello["container"]
        await sh.ws.send(b"echo over-http\r")
        await sh.output_has("over-http\r\n")
        await sh.ws.send(b"exit 4\r")
        assert await sh.closed() == {"type": "closed", "reason": "container_exit", "exitCode": 4}
        assert sh.ws.close_code == 1000
    sid = hello["sessionId"]
    opened = await exec_console.audit.wait(lambda e: e.verb == "exec_open" and e.extra["session_id"] == sid)
    ended = await exec_console.audit.wait(lambda e: e.verb == "exec_close" and e.extra["session_id"] == sid)
    assert (opened.actor.sub, opened.impersonated.user) == (f"{USER}@example.com", USER)
    assert (ended.outcome, ended.extra["exit_code"], ended.extra["transport"]) == ("success", 4, "ws_v5")
    assert ended.extra["bytes_stdin"] == len(b"echo over-http\rexit 4\r")
    assert ended.request_id


async def test_a_command_and_its_exit_code(shell: Any) -> None:
    async with shell(command=_command("sh", "-c", "echo done; exit 5"), tty="false") as sh:
        assert (await sh.closed())["exitCode"] == 5
        assert b"done\n" in sh.output


async def test_resize(shell: Any) -> None:
    async with shell() as sh:
        await sh.output_has("# ")
        await sh.ws.send(json.dumps({"type": "resize", "cols": 101, "rows": 33}))
        await sh.ws.send(b"stty size\r")
        await sh.output_has("33 101")


async def test_twenty_concurrent_opens_get_exactly_five_sessions(
    shell: Any, exec_console: ExecConsole, api: httpx.AsyncClient
) -> None:
    await _wait_no_sessions(api)
    results: list[Shell] = []
    all_in, stop = anyio.Event(), anyio.Event()

    async def open_one() -> None:
        async with shell() as sh:
            await sh.until(lambda s: bool(s.of("hello") or s.of("error")))
            results.append(sh)
            if len(results) == 20:
                all_in.set()
            await stop.wait()
            if sh.of("error"):
                await sh.ws.wait_closed()

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(open_one)
        with anyio.fail_after(10):
            await all_in.wait()
        refused = await api.get(exec_console.http_url("shell"))
        stop.set()
    admitted = [r for r in results if r.of("hello")]
    denied = [r for r in results if r.of("error")]
    assert (len(admitted), len(denied)) == (5, 15)
    assert {d.of("error")[0]["code"] for d in denied} == {"E_CAP_USER"}
    assert {d.ws.close_code for d in denied} == {4429}
    assert len(denied[0].of("error")[0]["activeSessions"]) == 5
    assert refused.status_code == 429
    assert refused.json()["error"] == "E_CAP_USER"
    listed = {s["sessionId"] for s in refused.json()["activeSessions"]}
    assert listed == {a.of("hello")[0]["sessionId"] for a in admitted}


async def test_idle_sessions_are_warned_then_closed(shell: Any) -> None:
    async with shell(cluster="quiet") as sh:
        closed = await sh.closed(timeout=5)
        assert sh.of("idle_warn") == [{"type": "idle_warn", "secondsRemaining": 1}]
        assert closed["reason"] == "server_idle"


async def test_a_disabled_cluster_refuses_before_the_upgrade(exec_console: ExecConsole, api: httpx.AsyncClient) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(exec_console.ws_url("shell", "locked"), origin=exec_console.origin):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body)["error"] == "E_EXEC_DISABLED"
    plain = await api.get(exec_console.http_url("shell", "locked"))
    assert (plain.status_code, plain.json()["error"]) == (403, "E_EXEC_DISABLED")
    summaries = {c["name"]: c for c in (await api.get("/api/clusters")).json()["clusters"]}
    assert (summaries["locked"]["execEnabled"], summaries["prod"]["execEnabled"]) == (False, True)


async def test_a_forbidden_exec_is_reported_and_audited_denied(shell: Any, exec_console: ExecConsole) -> None:
    async with shell("staging", container="app") as sh:
        closed = await sh.closed()
        assert sh.of("error")[0]["code"] == "E_FORBIDDEN"
        assert (closed["reason"], sh.ws.close_code, bytes(sh.output)) == ("denied", 4403, b"")
    ended = await exec_console.audit.wait(lambda e: e.verb == "exec_close" and e.cluster == "staging")
    assert (ended.outcome, ended.extra["close_reason"]) == ("denied", "denied")
    assert not [e for e in exec_console.audit.events if e.verb == "exec_open" and e.cluster == "staging"]


async def test_an_image_without_a_shell(shell: Any) -> None:
    async with shell("distroless") as sh:
        await sh.closed()
        assert sh.of("error")[0]["code"] == "E_NO_SHELL"
        assert sh.ws.close_code == 4422


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "{own}.evil.example"},
        {"Origin": "https://{host}"},
        {"Cookie": "periscope_session=abc"},
    ],
)
async def test_cross_origin_upgrades_are_refused_before_the_101(
    exec_console: ExecConsole, headers: dict[str, str]
) -> None:
    own, host = exec_console.origin, exec_console.origin.split("//")[1]
    headers = {k: v.format(own=own, host=host) for k, v in headers.items()}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(exec_console.ws_url("shell"), origin=headers.pop("Origin", None),  # type: ignore[arg-type]
                           additional_headers=headers):
            pass
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body)["error"] == "E_ORIGIN_REJECTED"


async def test_a_non_browser_client_without_origin_or_cookie_may_exec(exec_console: ExecConsole) -> None:
    async with connect(exec_console.ws_url("shell", command=_command("true"), tty="false")) as ws:
        sh = Shell(ws)
        assert (await sh.closed())["exitCode"] == 0


def test_the_pre_flight_check(exec_console: ExecConsole) -> None:
    def check(role: str, cluster: str = "") -> dict[str, Any]:
        response = httpx.get(exec_console.http_url(role, cluster, "/check"))
        assert response.status_code == 200
        return dict(response.json())

    assert check("shell") == {"allowed": True}
    assert check("staging")["error"] == "E_FORBIDDEN"
    assert check("shell", "locked") == {"allowed": False, "error": "E_EXEC_DISABLED",
                                         "message": "exec is disabled on cluster 'locked'"}


async def test_listing_and_force_closing_a_session(
    shell: Any, exec_console: ExecConsole, api: httpx.AsyncClient
) -> None:
    async with shell() as sh:
        await sh.output_has("# ")
        session_id = sh.of("hello")[0]["sessionId"]
        listed = (await api.get("/api/exec/sessions")).json()["sessions"]
        assert [(s["sessionId"], s["state"], s["cluster"]) for s in listed] == [(session_id, "open", "prod")]
        assert (await api.delete(f"/api/exec/sessions/{session_id}")).status_code == 204
        assert (await sh.closed())["reason"] == "forced_close"
    forced = await exec_console.audit.wait(lambda e: e.verb == "exec_forced_close")
    assert forced.extra["session_id"] == session_id
    assert (await api.delete(f"/api/exec/sessions/{session_id}")).status_code == 404


async def test_a_recorded_session_replays(shell: Any, exec_console: ExecConsole, api: httpx.AsyncClient) -> None:
    async with shell(cluster="recorded") as sh:
        await sh.output_has("# ")
        await sh.ws.send(b"echo on-tape\r")
        await sh.output_has("on-tape\r\n")
        await sh.ws.send(json.dumps({"type": "close"}))
        await sh.closed()
        session_id = sh.of("hello")[0]["sessionId"]
    ended = await exec_console.audit.wait(lambda e: e.verb == "exec_close" and e.extra["session_id"] == session_id)
    assert ended.extra["recording_id"] == session_id
    cast = await api.get(f"/api/exec/recordings/{session_id}")
    assert (cast.status_code, cast.headers["content-type"]) == (200, "application/x-asciicast")
    header, *events = [json.loads(line) for line in cast.text.splitlines()]
    assert header["version"] == 2
    assert "on-tape" in "".join(e[2] for e in events if e[1] == "o")
    assert (await api.get("/api/exec/recordings/not-a-session")).status_code == 404


async def test_an_oversized_frame_closes_the_socket_with_1009(shell: Any) -> None:
    async with shell() as sh:
        await sh.output_has("# ")
        await sh.ws.send(b"x" * (2 << 20))
        await sh.closed()
        assert sh.ws.close_code == 1009


async def test_server_shutdown_force_closes_live_sessions(
    console: Any, exec_console: ExecConsole, tmp_path: Path
) -> None:
    with _serving(console, tmp_path, exec_console.pods) as (own, server):
        async with connect(own.ws_url("shell"), origin=own.origin, max_size=None) as ws:  # type: ignore[arg-type]
            sh = Shell(ws)
            await sh.output_has("# ")
            server.stop()
            assert await sh.closed() == {"type": "closed", "reason": "forced_close", "exitCode": None}
            assert ws.close_code == 1000
        ended = await own.audit.wait(lambda e: e.verb == "exec_close")
        assert ended.extra["close_reason"] == "forced_close"


async def test_server_shutdown_does_not_wait_for_a_session_still_opening(
    console: Any, exec_console: ExecConsole, tmp_path: Path
) -> None:
    faults = console.fleet.clusters["prod"].api.faults
    faults.delay(r"/exec\?", 10)  # longer than the 5 s shutdown grace
    try:
        with _serving(console, tmp_path, exec_console.pods) as (own, server):
            async with (
                httpx.AsyncClient(base_url=own.url) as api,
                connect(own.ws_url("shell"), origin=own.origin, max_size=None) as ws,  # type: ignore[arg-type]
            ):
                with anyio.fail_after(5):
                    while await _session_states(api) != ["opening"]:  # noqa: ASYNC110 (another process's state)
                        await anyio.sleep(0.02)
                server.stop()
                sh = Shell(ws)
                assert await sh.closed(timeout=3) == {"type": "closed", "reason": "forced_close", "exitCode": None}
            ended = await own.audit.wait(lambda e: e.verb == "exec_close")
            assert ended.extra["close_reason"] == "forced_close"
    finally:
        faults.clear()


async def test_v5_upgrade_failures_fall_back_to_v4_then_the_breaker_pins_it(
    console: Any, exec_console: ExecConsole, tmp_path: Path
) -> None:
    faults = console.fleet.clusters["prod"].api.faults
    faults.refuse_subprotocol("v5.channel.k8s.io", times=3)
    transports: list[str] = []
    try:
        with _serving(console, tmp_path, exec_console.pods) as (own, _):
            # A console of its own: its breaker starts closed and stays out of the other tests.
            for _ in range(4):
                url = own.ws_url("shell", command=_command("true"), tty="false")
                async with connect(url, origin=own.origin, max_size=None) as ws:  # type: ignore[arg-type]
                    sh = Shell(ws)
                    assert (await sh.closed())["reason"] == "container_exit"
                    transports.append(sh.of("hello")[0]["transport"])
    finally:
        faults.clear()
    # Three refusals, each retried offering v4 alone; the fourth offers v4 only: had it
    # offered v5, nothing was left to refuse it and it would have run on v5.
    assert transports == ["ws_v4"] * 4
    # The console has stopped, so its audit pipeline has been drained.
    assert [e.extra["transport"] for e in own.audit.events if e.verb == "exec_close"] == ["ws_v4"] * 4
