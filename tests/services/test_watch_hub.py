"""The watch hub against a sandbox apiserver: sharing, resume, relist, backpressure, linger, shutdown."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import anyio
import msgspec
import pytest

from periscope_core.domain.errors import ClusterNotFound, Forbidden, ShuttingDown, StreamLimitReached, UnknownKind
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.services.projections import project_list
from periscope_core.services.watch_hub import WatchHub, kind_target

from .helpers import BOB, MALLORY, NS, TIER_READ, Clients, Reader, eventually, running_hub

PODS = GroupVersionResource("", "v1", "pods")
TARGET = kind_target("c1", "pods", namespace=NS)


def _rows(body: bytes) -> Any:
    return msgspec.json.decode(msgspec.json.encode(project_list("pods", body).items))


async def test_subscribers_with_one_identity_share_one_upstream_watch(clients: Clients) -> None:
    clients.add_pod("web-1")
    async with running_hub(clients) as hub, anyio.create_task_group() as tg:
        alice = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice"))
        carol = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="carol"))
        for reader in (alice, carol):
            tg.start_soon(reader.run)
            await reader.wait_events("snapshot")
        # The snapshot carries exactly the list endpoint's rows, so polling and streaming agree.
        expected = _rows(await clients.kube.list_raw(PODS, namespace=NS))
        assert alice.data(0)["items"] == carol.data(0)["items"] == expected
        assert alice.events[0].id == alice.data(0)["resourceVersion"]
        assert clients.watches(TIER_READ.user) == (1, 1)
        assert [s.shared_with for s in hub.streams()] == [2, 2]
        assert {s.actor for s in hub.streams()} == {"alice", "carol"}
        assert [s.actor for s in hub.streams(actor="carol")] == ["carol"]
        tg.cancel_scope.cancel()


async def test_identities_never_share_an_upstream_watch(clients: Clients) -> None:
    async with running_hub(clients) as hub:
        tier = await hub.subscribe(TARGET, as_=TIER_READ, actor="alice")
        bob = await hub.subscribe(TARGET, as_=BOB, actor="bob")
        assert clients.watches(TIER_READ.user) == (1, 1)
        assert clients.watches(BOB.user) == (1, 1)
        assert hub.upstream_count() == 2
        tier.close()
        bob.close()


async def test_a_created_pod_reaches_every_subscriber_as_added_within_a_second(clients: Clients) -> None:
    async with running_hub(clients) as hub, anyio.create_task_group() as tg:
        readers = [Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor=f"u{i}")) for i in range(5)]
        for reader in readers:
            tg.start_soon(reader.run)
            await reader.wait_events("snapshot")
        started = anyio.current_time()
        # What kubectl create sends: a POST of the manifest.
        created = await clients.kube.create(PODS, {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-0", "labels": {"app": "api"}},
            "spec": {"containers": [{"name": "api", "image": "api:1"}]},
        }, namespace=NS)
        for reader in readers:
            await reader.wait_events("added", timeout=1.0)
            assert reader.arrived[-1] - started < 1.0
            assert reader.data(-1)["object"]["name"] == "api-0"
            assert reader.events[-1].id == created["metadata"]["resourceVersion"]
        await clients.kube.delete(PODS, "api-0", namespace=NS)
        for reader in readers:
            await reader.wait_events("deleted")
        assert clients.watches(TIER_READ.user) == (1, 1)
        tg.cancel_scope.cancel()


async def test_a_watch_ended_by_the_server_resumes_without_a_new_snapshot(clients: Clients) -> None:
    clients.add_pod("web-1")
    async with running_hub(clients) as hub, anyio.create_task_group() as tg:
        reader = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice"))
        tg.start_soon(reader.run)
        await reader.wait_events("snapshot")
        clients.api.faults.drop_watches()
        await anyio.sleep(0.05)
        clients.add_pod("web-2")
        await reader.wait_events("added")
        assert reader.names() == ["snapshot", "added"]  # no second snapshot, no replayed ADDED for web-1
        assert reader.data(-1)["object"]["name"] == "web-2"
        assert clients.watches(TIER_READ.user) == (1, 2)
        tg.cancel_scope.cancel()


async def test_expired_history_in_the_stream_sends_relist_and_a_fresh_snapshot(clients: Clients) -> None:
    clients.add_pod("web-1")
    async with running_hub(clients) as hub, anyio.create_task_group() as tg:
        reader = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice"))
        tg.start_soon(reader.run)
        await reader.wait_events("snapshot")
        # While the hub is re-opening its watch, the history it would resume from is compacted away.
        clients.api.faults.delay(r"watch=true", 0.2)
        clients.api.faults.drop_watches()
        await anyio.sleep(0.05)
        clients.api.delete_object("v1", "pods", NS, "web-1")
        clients.add_pod("web-2")
        clients.api.faults.expire_history()
        await reader.wait_events("relist", "snapshot")
        assert reader.data(-2) == {"reason": "gone_410"}
        assert [row["name"] for row in reader.data(-1)["items"]] == ["web-2"]
        clients.api.faults.clear()
        clients.add_pod("web-3")
        await reader.wait_events("added")
        tg.cancel_scope.cancel()


async def test_a_410_when_reopening_the_watch_relists(clients: Clients) -> None:
    async with running_hub(clients) as hub, anyio.create_task_group() as tg:
        reader = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice"))
        tg.start_soon(reader.run)
        await reader.wait_events("snapshot")
        clients.api.faults.fail(r"watch=true", status=410)
        clients.api.faults.drop_watches()
        await reader.wait_events("relist", "snapshot")
        tg.cancel_scope.cancel()


async def test_last_event_id_resumes_from_the_ring_without_a_snapshot(clients: Clients) -> None:
    async with running_hub(clients) as hub, anyio.create_task_group() as tg:
        first = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice"))
        tg.start_soon(first.run)
        await first.wait_events("snapshot")
        clients.add_pod("web-1")
        clients.add_pod("web-2")
        await first.wait_for(lambda r: r.names() == ["snapshot", "added", "added"])
        resumed = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice", last_event_id=first.events[1].id))
        tg.start_soon(resumed.run)
        await resumed.wait_events("added")
        assert resumed.names() == ["added"]
        assert resumed.data(0)["object"]["name"] == "web-2"
        assert clients.watches(TIER_READ.user) == (1, 1)
        tg.cancel_scope.cancel()


async def test_last_event_id_resumes_after_the_upstream_closed(clients: Clients) -> None:
    async with running_hub(clients) as hub, anyio.create_task_group() as tg:
        first = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice"))
        tg.start_soon(first.run)
        clients.add_pod("web-1")
        await first.wait_events("snapshot", "added")
        last_id = first.events[-1].id or ""
        first.sub.close()
        await eventually(lambda: hub.upstream_count() == 0)
        clients.add_pod("web-2")
        clients.api.delete_object("v1", "pods", NS, "web-1")
        resumed = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice", last_event_id=last_id))
        tg.start_soon(resumed.run)
        await resumed.wait_for(lambda r: len(r.events) >= 2)
        assert resumed.names() == ["added", "deleted"]
        assert [resumed.data(i)["object"]["name"] for i in (0, 1)] == ["web-2", "web-1"]
        tg.cancel_scope.cancel()


async def test_an_unknown_last_event_id_gets_a_snapshot(clients: Clients) -> None:
    async with running_hub(clients) as hub, anyio.create_task_group() as tg:
        first = await hub.subscribe(TARGET, as_=TIER_READ, actor="alice")
        late = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice", last_event_id="no-such-rv"))
        tg.start_soon(late.run)
        await late.wait_events("snapshot")
        first.close()
        tg.cancel_scope.cancel()


async def test_an_expired_last_event_id_on_a_fresh_upstream_relists(clients: Clients) -> None:
    old = clients.add_pod("web-1")["metadata"]["resourceVersion"]
    clients.add_pod("web-2")
    clients.api.faults.expire_history()
    async with running_hub(clients) as hub, anyio.create_task_group() as tg:
        reader = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice", last_event_id=old))
        tg.start_soon(reader.run)
        await reader.wait_events("relist", "snapshot")
        assert [row["name"] for row in reader.data(-1)["items"]] == ["web-1", "web-2"]
        tg.cancel_scope.cancel()


async def test_a_last_event_id_the_apiserver_rejects_gets_the_current_state(clients: Clients) -> None:
    clients.add_pod("web-1")
    async with running_hub(clients) as hub, anyio.create_task_group() as tg:
        reader = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice", last_event_id="not-an-rv"))
        tg.start_soon(reader.run)
        await reader.wait_events("relist", "snapshot")
        assert [row["name"] for row in reader.data(-1)["items"]] == ["web-1"]
        clients.add_pod("web-2")
        await reader.wait_events("added")
        tg.cancel_scope.cancel()


async def test_the_per_user_cap_answers_429(clients: Clients) -> None:
    async with running_hub(clients, per_user_limit=2) as hub:
        subs = [await hub.subscribe(TARGET, as_=TIER_READ, actor="alice") for _ in range(2)]
        with pytest.raises(StreamLimitReached) as caught:
            await hub.subscribe(kind_target("c1", "services", namespace=NS), as_=TIER_READ, actor="alice")
        assert caught.value.http_status == 429
        assert caught.value.body()["error"] == "E_TOO_MANY_STREAMS"
        assert caught.value.body()["limit"] == 2
        other = await hub.subscribe(TARGET, as_=TIER_READ, actor="carol")
        subs[0].close()
        again = await hub.subscribe(TARGET, as_=TIER_READ, actor="alice")
        for sub in (*subs, other, again):
            sub.close()


async def test_a_slow_subscriber_is_dropped_with_backpressure_and_others_keep_pace(clients: Clients) -> None:
    async with running_hub(clients, queue_size=8) as hub, anyio.create_task_group() as tg:
        slow = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="slow"))
        fast = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="fast"))
        tg.start_soon(fast.run)
        await fast.wait_events("snapshot")
        created: dict[str, float] = {}
        for i in range(40):
            name = f"p{i:02}"
            created[name] = anyio.current_time()
            clients.add_pod(name)
            await anyio.sleep(0.002)
        await fast.wait_for(lambda r: len(r.events) == 41)
        delays = [at - created[fast.data(i)["object"]["name"]] for i, at in enumerate(fast.arrived) if i]
        assert max(delays) < 0.25
        tg.start_soon(slow.run)
        await slow.wait_for(lambda r: r.finished)
        assert slow.names() == ["backpressure"]
        assert slow.sub.end_reason == "backpressure"
        assert fast.sub.end_reason is None
        assert clients.watches(TIER_READ.user) == (1, 1)
        tg.cancel_scope.cancel()


async def test_a_subscription_dropped_unread_is_released(clients: Clients) -> None:
    async with running_hub(clients, per_user_limit=1) as hub:
        await hub.subscribe(TARGET, as_=TIER_READ, actor="alice")  # the route failed before streaming it
        gc.collect()
        assert hub.streams() == []
        again = await hub.subscribe(TARGET, as_=TIER_READ, actor="alice")
        again.close()


async def test_the_upstream_lingers_then_closes_after_its_last_subscriber_leaves(clients: Clients) -> None:
    async with running_hub(clients, linger=0.3) as hub:
        sub = await hub.subscribe(TARGET, as_=TIER_READ, actor="alice")
        sub.close()
        await anyio.sleep(0.1)
        assert clients.watches(TIER_READ.user) == (1, 1)
        sub = await hub.subscribe(TARGET, as_=TIER_READ, actor="alice")  # rejoins the lingering watch
        assert clients.watches(TIER_READ.user) == (1, 1)
        sub.close()
        await eventually(lambda: clients.watches(TIER_READ.user)[0] == 0)
        assert hub.upstream_count() == 0


async def test_auth_expiry_ends_only_that_subscriber(clients: Clients) -> None:
    async with running_hub(clients) as hub, anyio.create_task_group() as tg:
        expiring = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice", expires_in=0.2))
        staying = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="carol"))
        tg.start_soon(expiring.run)
        tg.start_soon(staying.run)
        await expiring.wait_for(lambda r: r.finished)
        assert expiring.names() == ["snapshot", "auth_expired"]
        assert expiring.sub.end_reason == "auth_expired"
        clients.add_pod("web-1")
        await staying.wait_events("added")
        tg.cancel_scope.cancel()


async def test_idle_streams_get_a_ping_comment(clients: Clients) -> None:
    async with running_hub(clients, ping_interval=0.1) as hub, anyio.create_task_group() as tg:
        reader = Reader(await hub.subscribe(TARGET, as_=TIER_READ, actor="alice"))
        tg.start_soon(reader.run)
        await reader.wait_for(lambda r: b": ping\n\n" in r.raw)
        tg.cancel_scope.cancel()


async def test_refusals_open_no_stream(clients: Clients) -> None:
    async with running_hub(clients, per_user_limit=1) as hub:
        with pytest.raises(Forbidden):
            await hub.subscribe(TARGET, as_=MALLORY, actor="mallory")
        with pytest.raises(Forbidden):  # not StreamLimitReached: the refused stream was not counted
            await hub.subscribe(TARGET, as_=MALLORY, actor="mallory")
        with pytest.raises(ClusterNotFound):
            await hub.subscribe(kind_target("nope", "pods"), as_=TIER_READ, actor="alice")
        with pytest.raises(UnknownKind):
            kind_target("c1", "widgets")
        assert hub.streams() == []


async def test_cluster_scoped_kinds_ignore_the_namespace() -> None:
    assert kind_target("c1", "nodes", namespace="team-a").namespace == ""
    assert kind_target("c1", "pods", namespace="team-a").namespace == "team-a"


async def test_shutdown_tells_every_subscriber_and_leaves_no_task_behind(clients: Clients) -> None:
    before = len(asyncio.all_tasks())
    hub = WatchHub(clients)
    async with hub, anyio.create_task_group() as tg:
        readers = [Reader(await hub.subscribe(kind_target("c1", kind, namespace=NS), as_=who, actor="alice"))
                   for kind, who in (("pods", TIER_READ), ("pods", BOB), ("services", TIER_READ))]
        for reader in readers:
            tg.start_soon(reader.run)
            await reader.wait_events("snapshot")
        with anyio.fail_after(2):
            await hub.aclose()
        for reader in readers:
            await reader.wait_for(lambda r: r.finished)
            assert reader.names() == ["snapshot", "server_shutdown"]
            assert reader.sub.end_reason == "server_shutdown"
        with pytest.raises(ShuttingDown):
            await hub.subscribe(TARGET, as_=TIER_READ, actor="alice")
    assert len(asyncio.all_tasks()) == before
    assert clients.watches(TIER_READ.user)[0] == 0
    assert clients.watches(BOB.user)[0] == 0
