"""Exec sessions end to end against the sandbox's exec endpoint (in process), through a fake browser."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from periscope_adapters.sandbox import ADMIN_USER, ApiServer, InProcessTransport
from periscope_adapters.sandbox._manifests import binding, container, namespace, pod
from periscope_core.domain.audit import AuditEvent
from periscope_core.domain.clusters import ClusterEntry, ExecOverrides
from periscope_core.domain.errors import ClusterNotFound, ClusterUnreachable, ShuttingDown
from periscope_core.domain.exec import (
    ClusterCapReached,
    ExecDisabled,
    ExecPolicy,
    ExecTarget,
    SessionNotFound,
    UserCapReached,
)
from periscope_core.domain.identity import Impersonation, Principal
from periscope_core.ports.transport import ChannelSocket, ClusterTransport, KubeRequest, KubeResponse
from periscope_core.protocols.k8s_channel import V5
from periscope_core.services.exec_sessions import ExecSessions
from periscope_core.services.exec_upstream import UpstreamLauncher
from periscope_core.services.kube import KubeClient
from periscope_core.testing.exec_fakes import MemoryRecordingStore, MemoryTerminal

NS = "shop"
ALICE = Principal(subject="alice", email="alice@example.com")
BOB = Principal(subject="bob")
ROOT = Principal(subject="root", groups=("admins",))
AS_ALICE = Impersonation(user="alice")
AS_MALLORY = Impersonation(user="mallory")
"""Bound to nothing in the sandbox: every exec is refused."""


class AuditLog:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def emit(self, event: AuditEvent) -> None:
        self.events.append(event)

    def verbs(self) -> list[str]:
        return [e.verb for e in self.events]

    def last(self, verb: str) -> AuditEvent:
        return [e for e in self.events if e.verb == verb][-1]


class RefusesV5(ClusterTransport):
    """A proxy in front of the apiserver that breaks every upgrade offering v5."""

    def __init__(self, inner: ClusterTransport) -> None:
        self.inner = inner
        self.offers: list[tuple[str, ...]] = []

    async def send(self, request: KubeRequest) -> KubeResponse:
        return await self.inner.send(request)

    async def websocket(self, request: KubeRequest, subprotocols: Sequence[str]) -> ChannelSocket:
        self.offers.append(tuple(subprotocols))
        if V5 in subprotocols:
            raise ClusterUnreachable("connection reset by peer during the upgrade")
        return await self.inner.websocket(request, subprotocols)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Clusters:
    """Registry entries over one sandbox apiserver (each name is a different policy)."""

    def __init__(self, transport: ClusterTransport) -> None:
        self.kube = KubeClient(transport, cluster="c1")
        self.entries = {
            "c1": ClusterEntry(name="c1"),
            "locked": ClusterEntry(name="locked", exec=ExecOverrides(enabled=False)),
            "busy": ClusterEntry(name="busy", exec=ExecOverrides(maxSessionsTotal=2, maxSessionsPerUser=9)),
        }

    def entry(self, name: str) -> ClusterEntry:
        if name not in self.entries:
            raise ClusterNotFound(name)
        return self.entries[name]

    async def client(self, name: str) -> KubeClient:
        self.entry(name)
        return self.kube


def _api() -> ApiServer:
    api = ApiServer(name="c1")
    api.create_object(namespace(NS))
    api.create_object(binding("alice-edit", "edit", user="alice", namespace=NS))
    placed = {"nodeName": "node-1"}
    api.create_object(pod(NS, "web", [container("app", "nginx:1.27")], **placed))
    api.create_object(pod(NS, "tiny", [container("app", "busybox:1.36")], **placed))
    api.create_object(pod(NS, "signer", [container("signer", "gcr.io/distroless/static-debian12:nonroot")], **placed))
    sidecar = pod(NS, "paired", [container("proxy", "busybox:1.36"), container("main", "nginx:1.27")], **placed)
    sidecar["metadata"]["annotations"] = {"kubectl.kubernetes.io/default-container": "main"}
    api.create_object(sidecar)
    return api


@pytest.fixture
def api() -> ApiServer:
    return _api()


@pytest.fixture
def audit() -> AuditLog:
    return AuditLog()


@pytest.fixture
def recordings() -> MemoryRecordingStore:
    return MemoryRecordingStore()


@pytest.fixture
def make_sessions(
    api: ApiServer, audit: AuditLog, recordings: MemoryRecordingStore
) -> Callable[..., ExecSessions]:
    def make(transport: ClusterTransport | None = None, **policy: Any) -> ExecSessions:
        return ExecSessions(
            Clusters(transport or InProcessTransport(api, ADMIN_USER)),
            defaults=ExecPolicy(**policy), audit=audit, recordings=recordings,
            launcher=UpstreamLauncher(launch_window=0.3), is_admin=lambda p: "admins" in p.groups,
        )  # fmt: skip

    return make


@pytest.fixture
def sessions(make_sessions: Callable[..., ExecSessions]) -> ExecSessions:
    return make_sessions()


class Running:
    """One session running in the background with its fake browser."""

    def __init__(self, sessions: ExecSessions, target: ExecTarget, as_: Impersonation, principal: Principal) -> None:
        self.terminal = MemoryTerminal()
        self.session = sessions.reserve(principal, target)
        self.sessions, self.as_ = sessions, as_
        self.reason: str | None = None

    async def run(self) -> None:
        self.reason = await self.sessions.run(self.session, self.terminal, as_=self.as_, request_id="req-1")

    async def wait_output(self, text: str, timeout: float = 5.0) -> None:
        await self.terminal.wait_for(lambda t: text.encode() in t.output, timeout)

    async def wait_closed(self, timeout: float = 5.0) -> dict[str, object]:
        await self.terminal.wait_for(lambda t: t.close_code is not None, timeout)
        return self.terminal.messages("closed")[-1]


@pytest.fixture
async def start(sessions: ExecSessions) -> AsyncIterator[Callable[..., Any]]:
    # Plain asyncio tasks: a task group cannot span a fixture's setup and teardown.
    tasks: list[asyncio.Task[None]] = []

    async def launch(
        pod_name: str = "web", *, via: ExecSessions = sessions, as_: Impersonation = AS_ALICE,
        principal: Principal = ALICE, cluster: str = "c1", **fields: Any,
    ) -> Running:  # fmt: skip
        running = Running(via, ExecTarget(cluster=cluster, namespace=NS, pod=pod_name, **fields), as_, principal)
        tasks.append(asyncio.create_task(running.run()))
        return running

    yield launch
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_an_interactive_shell_round_trip(start: Callable[..., Any], audit: AuditLog) -> None:
    shell: Running = await start()
    await shell.wait_output("# ")
    hello = shell.terminal.messages()[0]
    assert hello == {"type": "hello", "sessionId": shell.session.session_id, "container": "app",
                     "transport": "ws_v5"}
    await shell.terminal.type_bytes(b"echo round-trip\r")
    await shell.wait_output("round-trip\r\n")
    await shell.terminal.type_bytes(b"exit 3\r")
    closed = await shell.wait_closed()
    assert closed == {"type": "closed", "reason": "container_exit", "exitCode": 3}
    assert shell.terminal.close_code == 1000
    assert audit.verbs() == ["exec_open", "exec_close"]
    opened, ended = audit.events
    assert opened.outcome == "success"
    assert opened.extra["command"] == ["bash"]
    assert ended.outcome == "success"
    assert ended.extra["close_reason"] == "container_exit"
    assert ended.extra["exit_code"] == 3
    assert ended.extra["transport"] == "ws_v5"
    assert ended.extra["bytes_stdin"] == len(b"echo round-trip\rexit 3\r")
    assert ended.extra["bytes_stdout"] == len(shell.terminal.output)
    assert ended.request_id == "req-1"
    assert ended.impersonated.user == "alice"


async def test_a_command_with_stderr_and_its_exit_code(start: Callable[..., Any]) -> None:
    job: Running = await start(command=("sh", "-c", "echo to-out; cat /to-err; exit 7"), tty=False)
    closed = await job.wait_closed()
    assert closed == {"type": "closed", "reason": "container_exit", "exitCode": 7}
    assert b"to-out" in job.terminal.output
    assert b"/to-err: No such file" in job.terminal.output


async def test_resize_reaches_the_terminal(start: Callable[..., Any]) -> None:
    shell: Running = await start()
    await shell.wait_output("# ")
    await shell.terminal.type_text({"type": "resize", "cols": 132, "rows": 41})
    await shell.terminal.type_bytes(b"stty size\r")
    await shell.wait_output("41 132")


async def test_the_client_closing_ends_the_session(start: Callable[..., Any], audit: AuditLog) -> None:
    shell: Running = await start()
    await shell.wait_output("# ")
    await shell.terminal.type_text({"type": "close"})
    assert await shell.wait_closed() == {"type": "closed", "reason": "client_close", "exitCode": None}
    assert audit.last("exec_close").extra["close_reason"] == "client_close"


async def test_a_browser_that_vanishes_ends_the_session(start: Callable[..., Any], sessions: ExecSessions) -> None:
    shell: Running = await start()
    await shell.wait_output("# ")
    await shell.terminal.leave()
    await shell.wait_closed()
    assert shell.reason == "client_close"
    assert len(sessions.registry) == 0


async def test_the_default_container_comes_from_the_annotation(start: Callable[..., Any]) -> None:
    shell: Running = await start("paired")
    await shell.wait_output("# ")
    assert shell.terminal.messages("hello")[0]["container"] == "main"


async def test_an_image_without_bash_gets_sh(start: Callable[..., Any], audit: AuditLog) -> None:
    shell: Running = await start("tiny")
    await shell.wait_output("/ # ")
    assert audit.last("exec_open").extra["command"] == ["sh"]


async def test_an_image_without_any_shell_is_e_no_shell(start: Callable[..., Any], audit: AuditLog) -> None:
    shell: Running = await start("signer")
    closed = await shell.wait_closed()
    error = shell.terminal.messages("error")[0]
    assert error["code"] == "E_NO_SHELL"
    assert closed["reason"] == "failed"
    assert shell.terminal.close_code == 4422
    assert audit.verbs() == ["exec_close"]
    assert audit.last("exec_close").outcome == "failure"
    assert audit.last("exec_close").extra["error"] == "E_NO_SHELL"


async def test_a_forbidden_exec_is_denied_and_audited_as_denied(start: Callable[..., Any], audit: AuditLog) -> None:
    shell: Running = await start(container="app", as_=AS_MALLORY)
    closed = await shell.wait_closed()
    assert closed["reason"] == "denied"
    assert shell.terminal.messages("error")[0]["code"] == "E_FORBIDDEN"
    assert shell.terminal.close_code == 4403
    assert shell.terminal.output == b""
    assert audit.verbs() == ["exec_close"]
    assert audit.last("exec_close").outcome == "denied"
    assert audit.last("exec_close").extra["close_reason"] == "denied"


async def test_idle_sessions_are_warned_then_closed(
    make_sessions: Callable[..., ExecSessions], start: Callable[..., Any], audit: AuditLog
) -> None:
    quiet = make_sessions(idle_seconds=0.4, idle_warn_seconds=0.2)
    shell: Running = await start(via=quiet)
    await shell.wait_output("# ")
    closed = await shell.wait_closed(timeout=3)
    assert closed == {"type": "closed", "reason": "server_idle", "exitCode": None}
    assert shell.terminal.messages("idle_warn") == [{"type": "idle_warn", "secondsRemaining": 1}]
    assert audit.last("exec_close").extra["close_reason"] == "server_idle"


async def test_typing_keeps_a_session_alive(
    make_sessions: Callable[..., ExecSessions], start: Callable[..., Any]
) -> None:
    quiet = make_sessions(idle_seconds=0.3, idle_warn_seconds=0.1)
    shell: Running = await start(via=quiet)
    await shell.wait_output("# ")
    for _ in range(4):
        await anyio.sleep(0.15)
        await shell.terminal.type_bytes(b"x")
    assert shell.terminal.close_code is None
    await shell.wait_closed(timeout=3)
    assert shell.reason == "server_idle"


async def test_an_unanswered_ping_is_a_heartbeat_timeout(
    make_sessions: Callable[..., ExecSessions], start: Callable[..., Any]
) -> None:
    beating = make_sessions(heartbeat_seconds=0.1, pong_timeout_seconds=0.1)
    shell: Running = await start(via=beating)
    closed = await shell.wait_closed(timeout=3)
    assert closed["reason"] == "heartbeat_timeout"
    assert shell.terminal.messages("ping")


async def test_answered_pings_keep_the_session(
    make_sessions: Callable[..., ExecSessions], start: Callable[..., Any]
) -> None:
    beating = make_sessions(heartbeat_seconds=0.05, pong_timeout_seconds=0.1)
    shell: Running = await start(via=beating)
    with anyio.move_on_after(0.4):
        seen = 0
        while True:
            await shell.terminal.wait_for(lambda t, n=seen: len(t.messages("ping")) > n)
            seen = len(shell.terminal.messages("ping"))
            await shell.terminal.type_text({"type": "pong"})
    assert seen >= 4
    assert shell.terminal.close_code is None


def test_an_exec_disabled_cluster_refuses(sessions: ExecSessions) -> None:
    with pytest.raises(ExecDisabled) as refused:
        sessions.reserve(ALICE, ExecTarget(cluster="locked", namespace=NS, pod="web"))
    assert refused.value.body()["error"] == "E_EXEC_DISABLED"
    assert refused.value.http_status == 403


async def test_twenty_concurrent_opens_with_a_cap_of_five_get_exactly_five(
    make_sessions: Callable[..., ExecSessions], start: Callable[..., Any]
) -> None:
    capped = make_sessions(max_sessions_per_user=5)
    admitted: list[Running] = []
    refused: list[UserCapReached] = []

    async def open_one() -> None:
        await anyio.lowlevel.checkpoint()
        try:
            admitted.append(await start(via=capped))
        except UserCapReached as exc:
            refused.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(open_one)
    assert (len(admitted), len(refused)) == (5, 15)
    for running in admitted:
        await running.wait_output("# ")
    body = refused[-1].body()
    assert body["error"] == "E_CAP_USER"
    assert body["limit"] == 5
    assert {s["sessionId"] for s in body["activeSessions"]} == {r.session.session_id for r in admitted}
    await admitted[0].terminal.type_text({"type": "close"})
    await admitted[0].wait_closed()
    assert capped.reserve(ALICE, ExecTarget(cluster="c1", namespace=NS, pod="web")).session_id


def test_the_cluster_cap_counts_every_user(sessions: ExecSessions) -> None:
    target = ExecTarget(cluster="busy", namespace=NS, pod="web")
    sessions.reserve(ALICE, target)
    sessions.reserve(BOB, target)
    with pytest.raises(ClusterCapReached) as refused:
        sessions.reserve(ALICE, target)
    body = refused.value.body()
    assert body["error"] == "E_CAP_CLUSTER"
    assert [s["user"] for s in body["activeSessions"]] == ["alice"]


async def test_the_pre_flight_check_explains_a_refusal(sessions: ExecSessions) -> None:
    target = ExecTarget(cluster="c1", namespace=NS, pod="web")
    assert (await sessions.check(ALICE, target, as_=AS_ALICE)).allowed
    denied = await sessions.check(ALICE, target, as_=AS_MALLORY)
    assert (denied.allowed, denied.error) == (False, "E_FORBIDDEN")
    locked = await sessions.check(ALICE, ExecTarget(cluster="locked", namespace=NS, pod="web"), as_=AS_ALICE)
    assert locked.error == "E_EXEC_DISABLED"
    busy = ExecTarget(cluster="busy", namespace=NS, pod="web")
    sessions.reserve(ALICE, busy)
    sessions.reserve(BOB, busy)
    full = await sessions.check(ALICE, busy, as_=AS_ALICE)
    assert (full.error, len(full.active_sessions)) == ("E_CAP_CLUSTER", 1)


async def test_v5_upgrade_failures_fall_back_to_v4_and_pin_it(
    api: ApiServer, make_sessions: Callable[..., ExecSessions], start: Callable[..., Any], audit: AuditLog
) -> None:
    proxy = RefusesV5(InProcessTransport(api, ADMIN_USER))
    sessions = make_sessions(transport=proxy)
    for _ in range(4):
        job: Running = await start(via=sessions, command=("true",), tty=False)
        assert (await job.wait_closed())["reason"] == "container_exit"
        assert audit.last("exec_close").extra["transport"] == "ws_v4"
    # Three v5 failures, each retried with v4 alone; then v4 only, without trying v5 first.
    v5, v4 = ("v5.channel.k8s.io", "v4.channel.k8s.io"), ("v4.channel.k8s.io",)
    assert proxy.offers == [v5, v4, v5, v4, v5, v4, v4]
    assert sessions.launcher.breaker.state("c1", anyio.current_time()) == "open"


async def test_force_close_by_an_admin(start: Callable[..., Any], sessions: ExecSessions, audit: AuditLog) -> None:
    shell: Running = await start()
    await shell.wait_output("# ")
    sid = shell.session.session_id
    assert [s.session_id for s in sessions.sessions(ROOT)] == [sid]
    assert sessions.sessions(BOB) == []
    with pytest.raises(SessionNotFound):
        sessions.force_close(BOB, sid)
    sessions.force_close(ROOT, sid, request_id="req-2")
    assert (await shell.wait_closed())["reason"] == "forced_close"
    forced = audit.last("exec_forced_close")
    assert (forced.actor.sub, forced.extra["owner"], forced.request_id) == ("root", "alice", "req-2")
    assert audit.last("exec_close").extra["close_reason"] == "forced_close"


async def test_shutdown_force_closes_every_session_and_audits_each(
    start: Callable[..., Any], sessions: ExecSessions, audit: AuditLog
) -> None:
    shells: list[Running] = [await start(), await start("paired")]
    for shell in shells:
        await shell.wait_output("# ")
    await sessions.aclose()
    assert sessions.sessions(ROOT) == []
    for shell in shells:
        assert shell.terminal.messages("closed") == [{"type": "closed", "reason": "forced_close", "exitCode": None}]
        assert shell.terminal.close_code == 1000
    closes = [e for e in audit.events if e.verb == "exec_close"]
    assert sorted(e.extra["session_id"] for e in closes) == sorted(s.session.session_id for s in shells)
    assert {e.extra["close_reason"] for e in closes} == {"forced_close"}


async def test_shutdown_with_no_sessions_returns_at_once(sessions: ExecSessions) -> None:
    with anyio.fail_after(0.5):
        await sessions.aclose()


async def test_shutdown_stops_a_session_still_waiting_for_its_upgrade(
    api: ApiServer, start: Callable[..., Any], sessions: ExecSessions, audit: AuditLog
) -> None:
    api.faults.delay(r"/exec\?", 60)
    shell: Running = await start()
    await anyio.sleep(0.2)  # let it reach the upgrade
    assert [s.state for s in sessions.sessions(ROOT)] == ["opening"]
    with anyio.fail_after(5):  # not the 60 s upgrade, nor the 30 s grace
        await sessions.aclose(grace=30)
    assert shell.terminal.messages("closed") == [{"type": "closed", "reason": "forced_close", "exitCode": None}]
    assert audit.verbs() == ["exec_close"]
    assert audit.last("exec_close").extra["close_reason"] == "forced_close"


async def test_no_session_starts_once_shutdown_began(sessions: ExecSessions) -> None:
    await sessions.aclose()
    target = ExecTarget(cluster="c1", namespace=NS, pod="web")
    with pytest.raises(ShuttingDown):
        sessions.reserve(ALICE, target)
    check = await sessions.check(ALICE, target, as_=AS_ALICE)
    assert (check.allowed, check.error) == (False, "E_SHUTTING_DOWN")


async def test_sessions_are_recorded_without_keystrokes(
    make_sessions: Callable[..., ExecSessions], start: Callable[..., Any], recordings: MemoryRecordingStore,
    audit: AuditLog,
) -> None:  # fmt: skip
    recorded = make_sessions(recording=True)
    shell: Running = await start(via=recorded)
    await shell.wait_output("# ")
    await shell.terminal.type_text({"type": "resize", "cols": 100, "rows": 30})
    await shell.terminal.type_bytes(b"echo s3cret-typed\r")
    await shell.wait_output("s3cret-typed\r\n")
    await shell.terminal.type_bytes(b"exit\r")
    await shell.wait_closed()
    sid = shell.session.session_id
    assert audit.last("exec_close").extra["recording_id"] == sid
    cast = (await recorded.recording(ALICE, sid)).decode().splitlines()
    header, events = json.loads(cast[0]), [json.loads(line) for line in cast[1:]]
    assert (header["version"], header["command"]) == (2, "bash")
    assert {e[1] for e in events} == {"o", "r"}
    assert ["r", "100x30"] in [e[1:] for e in events]
    assert "s3cret-typed" in "".join(e[2] for e in events if e[1] == "o")  # the terminal's echo is output
    with pytest.raises(SessionNotFound):
        await recorded.recording(BOB, sid)
    assert await recorded.recording(ROOT, sid)


async def test_keystrokes_are_recorded_when_the_operator_opts_in(
    make_sessions: Callable[..., ExecSessions], start: Callable[..., Any], recordings: MemoryRecordingStore
) -> None:
    recorded = make_sessions(recording=True, record_input=True)
    shell: Running = await start(via=recorded)
    await shell.wait_output("# ")
    await shell.terminal.type_bytes(b"exit\r")
    await shell.wait_closed()
    events = [json.loads(line) for line in bytes(recordings.casts[shell.session.session_id]).splitlines()[1:]]
    assert ["i", "exit\r"] in [e[1:] for e in events]


async def test_a_broken_recording_store_does_not_stop_the_shell(
    make_sessions: Callable[..., ExecSessions], start: Callable[..., Any], recordings: MemoryRecordingStore
) -> None:
    recordings.broken = True
    shell: Running = await start(via=make_sessions(recording=True))
    await shell.wait_output("# ")
    await shell.terminal.type_bytes(b"exit 0\r")
    assert (await shell.wait_closed())["reason"] == "container_exit"
    assert not shell.session.recording


async def test_the_boot_probe_reports_each_cluster(sessions: ExecSessions, api: ApiServer) -> None:
    api.create_object(pod("kube-system", "coredns", [container("coredns", "coredns:1.11")], nodeName="node-1"))
    assert await sessions.probe(["c1", "nowhere"]) == {"c1": "ok", "nowhere": "E_CLUSTER_NOT_FOUND"}
