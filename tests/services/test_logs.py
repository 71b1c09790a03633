"""Pod and workload logs against a sandbox apiserver: SSE lines, merging, live pod sets, downloads."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest

from periscope_adapters.sandbox._manifests import container, deployment, pod
from periscope_core.domain.errors import InvalidRequest, NotFound, UnknownKind
from periscope_core.services.log_lines import LogOptions
from periscope_core.services.logs import LogService

from .helpers import NS, TIER_READ, Clients, Reader, eventually

T0 = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
ONCE = LogOptions(follow=False)


@asynccontextmanager
async def running_logs(clients: Clients, **overrides: Any) -> AsyncIterator[LogService]:
    overrides = {"merge_window": 0.05, **overrides}
    async with LogService(clients, **overrides) as service:
        yield service


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def add_web_pod(clients: Clients, name: str, **status: Any) -> None:
    manifest = pod(NS, name, [container("app", "nginx:1.27")])
    manifest["metadata"]["labels"] = {"app": "web"}
    if status:
        manifest["status"] = status
    clients.api.create_object(manifest)


@pytest.fixture
async def web(clients: Clients) -> Clients:
    """Deployment ``web`` with pods web-a and web-b; their lines interleave in time."""
    clients.api.create_object(deployment(NS, "web", [container("app", "nginx:1.27")]))
    for name in ("web-a", "web-b"):
        add_web_pod(clients, name)
    for second, name in ((0, "web-a"), (1, "web-b"), (2, "web-a"), (3, "web-b"), (4, "web-a")):
        clients.api.append_log(NS, name, "app", f"{name} line at {second}", at=T0 + timedelta(seconds=second))
    return clients


def lines(reader: Reader) -> list[dict[str, Any]]:
    return [reader.data(i) for i, e in enumerate(reader.events) if e.event == "message"]


async def read_all(stream: Any) -> Reader:
    reader = Reader(stream)
    with anyio.fail_after(3):
        await reader.run()
    return reader


async def test_a_pod_log_is_sent_line_by_line_then_done(web: Clients) -> None:
    async with running_logs(web) as logs:
        reader = await read_all(await logs.open("c1", NS, "web-a", ONCE, as_=TIER_READ))
    assert reader.names() == ["message"] * 3 + ["done"]
    assert lines(reader) == [
        {"t": stamp(T0 + timedelta(seconds=s)), "l": f"web-a line at {s}"} for s in (0, 2, 4)
    ]
    assert reader.sub.end_reason == "done"


async def test_tail_and_since_select_lines(web: Clients) -> None:
    async with running_logs(web) as logs:
        tail = await read_all(await logs.open("c1", NS, "web-a", LogOptions(follow=False, tail_lines=1),
                                              as_=TIER_READ))
        web.api.append_log(NS, "web-a", "app", "just now")
        recent = await read_all(await logs.open("c1", NS, "web-a", LogOptions(follow=False, since_seconds=60),
                                                as_=TIER_READ))
    assert [line["l"] for line in lines(tail)] == ["web-a line at 4"]
    assert [line["l"] for line in lines(recent)] == ["just now"]


async def test_a_followed_pod_log_streams_new_lines_and_ends_when_the_pod_goes(web: Clients) -> None:
    async with running_logs(web) as logs, anyio.create_task_group() as tg:
        reader = Reader(await logs.open("c1", NS, "web-a", LogOptions(), as_=TIER_READ))
        tg.start_soon(reader.run)
        web.api.append_log(NS, "web-a", "app", "live 1")
        await reader.wait_for(lambda r: len(lines(r)) == 4)
        # A restarted container's new lines keep coming on the same stream.
        web.api.rotate_log(NS, "web-a", "app")
        web.api.append_log(NS, "web-a", "app", "after restart")
        await reader.wait_for(lambda r: len(lines(r)) == 5)
        web.api.delete_object("v1", "pods", NS, "web-a")
        await reader.wait_for(lambda r: r.finished)
    assert [line["l"] for line in lines(reader)][-2:] == ["live 1", "after restart"]
    assert reader.names()[-1] == "done"


async def test_workload_logs_merge_every_pod_in_time_order(web: Clients) -> None:
    async with running_logs(web) as logs:
        reader = await read_all(await logs.open("c1", NS, "web", ONCE, kind="deployments", as_=TIER_READ))
    assert reader.names()[0] == "meta"
    assert reader.data(0) == {"pods": [{"name": "web-a", "node": ""}, {"name": "web-b", "node": ""}],
                              "total": 2, "limit": 20, "message": ""}
    assert [(line["p"], line["l"]) for line in lines(reader)] == [
        ("web-a", "web-a line at 0"), ("web-b", "web-b line at 1"), ("web-a", "web-a line at 2"),
        ("web-b", "web-b line at 3"), ("web-a", "web-a line at 4"),
    ]
    assert reader.names()[-1] == "done"


async def test_workload_logs_follow_pods_joining_and_leaving(web: Clients) -> None:
    async with running_logs(web) as logs, anyio.create_task_group() as tg:
        reader = Reader(await logs.open("c1", NS, "web", LogOptions(), kind="deployments",
                                        as_=TIER_READ))
        tg.start_soon(reader.run)
        await reader.wait_events("meta")
        add_web_pod(web, "web-c")
        await reader.wait_for(lambda r: len(r.data(-1).get("pods", [])) == 3)
        web.api.append_log(NS, "web-c", "app", "hello from the new pod")
        await reader.wait_for(lambda r: any(line["p"] == "web-c" for line in lines(r)))
        assert [line["l"] for line in lines(reader) if line["p"] == "web-c"] == ["hello from the new pod"]
        web.api.delete_object("v1", "pods", NS, "web-a")
        await reader.wait_for(lambda r: r.names()[-1] == "meta" and len(r.data(-1)["pods"]) == 2)
        assert [p["name"] for p in reader.data(-1)["pods"]] == ["web-b", "web-c"]
        tg.cancel_scope.cancel()


async def test_the_pod_cap_is_announced_and_a_freed_slot_is_reused(web: Clients) -> None:
    add_web_pod(web, "web-c")
    async with running_logs(web, max_pods=2) as logs, anyio.create_task_group() as tg:
        reader = Reader(await logs.open("c1", NS, "web", LogOptions(), kind="deployments",
                                        as_=TIER_READ))
        tg.start_soon(reader.run)
        await reader.wait_events("meta")
        meta = reader.data(0)
        assert meta["total"] == 3
        assert meta["message"] == "following 2 of 3 pods (the newest); the limit is 2"
        unread = ({"web-a", "web-b", "web-c"} - {p["name"] for p in meta["pods"]}).pop()
        gone = meta["pods"][0]["name"]
        web.api.delete_object("v1", "pods", NS, gone)
        await reader.wait_for(lambda r: unread in [p["name"] for p in r.data(-1).get("pods", [])])
        web.api.append_log(NS, unread, "app", "now read")
        await reader.wait_for(lambda r: any(line["l"] == "now read" for line in lines(r)))
        tg.cancel_scope.cancel()


async def test_a_pod_that_cannot_log_is_reported_and_the_others_still_stream(web: Clients) -> None:
    add_web_pod(web, "web-c", containerStatuses=[
        {"name": "app", "ready": False, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}},
    ])
    async with running_logs(web) as logs:
        reader = await read_all(await logs.open("c1", NS, "web", ONCE, kind="deployments", as_=TIER_READ))
    errors = [reader.data(i) for i, e in enumerate(reader.events) if e.event == "error"]
    assert errors == [{"pod": "web-c",
                       "message": 'container "app" in pod "web-c" is waiting to start: ContainerCreating'}]
    assert len(lines(reader)) == 5
    assert reader.names()[-1] == "done"


async def test_the_filter_keeps_matching_lines_substring_or_regex(web: Clients) -> None:
    async with running_logs(web) as logs:
        plain = await read_all(await logs.open("c1", NS, "web", LogOptions(follow=False, grep="at 2"),
                                               kind="deployments", as_=TIER_READ))
        regex = await read_all(await logs.open("c1", NS, "web", LogOptions(follow=False, grep=r"WEB-B .* [13]$",
                                                                           regex=True, ignore_case=True),
                                               kind="deployments", as_=TIER_READ))
        with pytest.raises(InvalidRequest):
            await logs.open("c1", NS, "web", LogOptions(grep="(", regex=True), kind="deployments", as_=TIER_READ)
    assert [line["l"] for line in lines(plain)] == ["web-a line at 2"]
    assert [line["l"] for line in lines(regex)] == ["web-b line at 1", "web-b line at 3"]


async def test_download_is_plain_text_with_a_filename(web: Clients) -> None:
    async with running_logs(web) as logs:
        # follow is ignored for a download: it reads what is there and ends.
        single = await logs.open("c1", NS, "web-a", LogOptions(timestamps=False), download=True, as_=TIER_READ)
        workload = await logs.open("c1", NS, "web", LogOptions(), kind="deployments", download=True, as_=TIER_READ)
        with anyio.fail_after(3):
            single_text = [line async for line in single.text()]
            workload_text = [line async for line in workload.text()]
    assert single.filename == "team-a_web-a.log"
    assert single_text == ["web-a line at 0\n", "web-a line at 2\n", "web-a line at 4\n"]
    assert workload_text[0] == f"{stamp(T0)} [web-a] web-a line at 0\n"
    assert workload_text[1] == f"{stamp(T0 + timedelta(seconds=1))} [web-b] web-b line at 1\n"
    assert len(workload_text) == 5


async def test_a_slow_client_loses_no_line(web: Clients) -> None:
    async with running_logs(web, per_pod_lines=4, buffer=4) as logs, anyio.create_task_group() as tg:
        stream = await logs.open("c1", NS, "web-b", LogOptions(tail_lines=0), as_=TIER_READ)
        await anyio.sleep(0.05)  # the session opens the kubelet stream
        reader = Reader(stream)
        # More than the sandbox's per-follower buffer: the upstream stream is cut off and re-opened.
        for i in range(1500):
            web.api.append_log(NS, "web-b", "app", f"burst {i:04}")
            if i % 100 == 0:
                await anyio.sleep(0.001)
        tg.start_soon(reader.run)
        await reader.wait_for(lambda r: len(lines(r)) >= 1500, timeout=10)
        await anyio.sleep(0.1)
        assert [line["l"] for line in lines(reader)] == [f"burst {i:04}" for i in range(1500)]
        tg.cancel_scope.cancel()


async def test_refusals_happen_before_streaming(web: Clients) -> None:
    async with running_logs(web) as logs:
        with pytest.raises(NotFound):
            await logs.open("c1", NS, "no-such-pod", ONCE, as_=TIER_READ)
        with pytest.raises(NotFound):
            await logs.open("c1", NS, "no-such-app", ONCE, kind="deployments", as_=TIER_READ)
        with pytest.raises(UnknownKind):
            await logs.open("c1", NS, "web", ONCE, kind="services", as_=TIER_READ)


async def test_a_log_stream_dropped_unread_stops_its_session(web: Clients) -> None:
    async with running_logs(web) as logs:
        before = len(asyncio.all_tasks())
        await logs.open("c1", NS, "web", LogOptions(), kind="deployments", as_=TIER_READ)
        assert len(asyncio.all_tasks()) > before
        gc.collect()
        await eventually(lambda: len(asyncio.all_tasks()) == before)


async def test_shutdown_ends_live_logs_and_leaves_no_task(web: Clients) -> None:
    before = len(asyncio.all_tasks())
    async with running_logs(web) as logs, anyio.create_task_group() as tg:
        reader = Reader(await logs.open("c1", NS, "web", LogOptions(), kind="deployments",
                                        as_=TIER_READ))
        tg.start_soon(reader.run)
        await reader.wait_events("meta")
        await logs.aclose()
        await reader.wait_for(lambda r: r.finished)
    assert reader.names()[-1] == "server_shutdown"
    assert reader.sub.end_reason == "server_shutdown"
    assert len(asyncio.all_tasks()) == before
