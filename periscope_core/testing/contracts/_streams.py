"""Contract cases for streams: watches, pod logs and exec."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import pytest

from periscope_core.domain.errors import Forbidden, Gone, NotFound
from periscope_core.protocols.k8s_channel import V5
from periscope_core.protocols.watch import Expired
from periscope_core.services.kube import KubeClient
from periscope_core.testing.contracts._support import (
    CONFIGMAPS,
    NOBODY,
    LogWriter,
    PodRef,
    configmap,
    next_object,
)


class StreamContract:
    """Needs the ``kube``, ``namespace``, ``running_pod``, ``write_log_line`` and ``expire_history`` fixtures."""

    # -- watch ---------------------------------------------------------------------------

    async def test_watch_replays_events_after_resource_version(self, kube: KubeClient, namespace: str) -> None:
        await kube.create(CONFIGMAPS, configmap("before", labels={"w": "yes"}), namespace=namespace)
        start = (await kube.list(CONFIGMAPS, namespace=namespace)).resource_version
        await kube.create(CONFIGMAPS, configmap("unselected"), namespace=namespace)
        await kube.create(CONFIGMAPS, configmap("after", labels={"w": "yes"}), namespace=namespace)
        with anyio.fail_after(10):
            async with kube.watch(
                CONFIGMAPS, namespace=namespace, resource_version=start, label_selector="w=yes", timeout_seconds=60
            ) as events:
                event = await next_object(events)
        assert (event.type, event.object["metadata"]["name"]) == ("ADDED", "after")
        assert event.resource_version == event.object["metadata"]["resourceVersion"]

    async def test_watch_streams_events_while_open(self, kube: KubeClient, namespace: str) -> None:
        start = (await kube.list(CONFIGMAPS, namespace=namespace)).resource_version
        # The server holds this stream for a minute; a transport that buffers the body
        # would deliver nothing before then, so each event must arrive within seconds.
        with anyio.fail_after(20):
            async with kube.watch(
                CONFIGMAPS, namespace=namespace, resource_version=start, timeout_seconds=60
            ) as events:
                await kube.create(CONFIGMAPS, configmap("first"), namespace=namespace)
                added = await next_object(events, within=5)
                await kube.patch(CONFIGMAPS, "first", {"data": {"k": "v"}}, patch_type="merge", namespace=namespace)
                modified = await next_object(events, within=5)
                await kube.delete(CONFIGMAPS, "first", namespace=namespace)
                deleted = await next_object(events, within=5)
        assert [added.type, modified.type, deleted.type] == ["ADDED", "MODIFIED", "DELETED"]
        assert modified.object["data"] == {"k": "v"}

    async def test_watch_from_compacted_history_expires(
        self, kube: KubeClient, namespace: str, expire_history: Callable[[], Awaitable[None]]
    ) -> None:
        old = (await kube.list(CONFIGMAPS, namespace=namespace)).resource_version
        for i in range(3):
            await kube.create(CONFIGMAPS, configmap(f"churn-{i}"), namespace=namespace)
        await expire_history()
        first: object
        try:
            with anyio.fail_after(10):
                async with kube.watch(
                    CONFIGMAPS, namespace=namespace, resource_version=old, timeout_seconds=30
                ) as events:
                    first = await anext(events)
        except Gone as refused:  # some servers refuse before streaming
            first = refused
        assert isinstance(first, Expired | Gone), first

    # -- logs ----------------------------------------------------------------------------

    async def test_logs_tail(
        self, kube: KubeClient, running_pod: PodRef, write_log_line: LogWriter | None
    ) -> None:
        if write_log_line is not None:
            for i in range(3):
                await write_log_line(running_pod, f"contract tail {i}")
        await _await_log_lines(kube, running_pod, 3)
        async with kube.logs(running_pod.namespace, running_pod.name, container=running_pod.container,
                             tail_lines=2) as lines:
            tail = [line async for line in lines]
        whole = await _log_lines(kube, running_pod)
        assert len(tail) == 2
        # Lines are only ever appended, so the tail is a window of the whole log read later.
        assert any(whole[i : i + 2] == tail for i in range(len(whole) - 1))

    async def test_logs_follow_streams_new_lines(
        self, kube: KubeClient, running_pod: PodRef, write_log_line: LogWriter | None
    ) -> None:
        await _await_log_lines(kube, running_pod, 1)
        with anyio.fail_after(10):  # a follow never ends: a buffering transport would hang here
            async with kube.logs(running_pod.namespace, running_pod.name, container=running_pod.container,
                                 follow=True, tail_lines=1) as lines:
                await anext(lines)
                if write_log_line is not None:
                    await write_log_line(running_pod, "contract follow marker")
                # tail_lines=1 sent the one existing line: anything more was written after opening.
                later = await anext(lines)
                while write_log_line is not None and later != b"contract follow marker":
                    later = await anext(lines)

    # -- exec ----------------------------------------------------------------------------

    async def test_exec_echo_over_v5(self, kube: KubeClient, running_pod: PodRef) -> None:
        ns, pod, container = running_pod
        stream = await kube.exec(ns, pod, container=container, command=["echo", "hello", "world"])
        assert stream.subprotocol == V5
        result = await stream.run()
        assert (result.stdout, result.exit_code) == (b"hello world\n", 0)

    async def test_exec_non_zero_exit(self, kube: KubeClient, running_pod: PodRef) -> None:
        ns, pod, container = running_pod
        command = ["sh", "-c", "cat /no-such-file; exit 3"]
        result = await (await kube.exec(ns, pod, container=container, command=command)).run()
        assert result.exit_code == 3
        assert b"/no-such-file" in result.stderr

    async def test_exec_stdin_round_trip(self, kube: KubeClient, running_pod: PodRef) -> None:
        ns, pod, container = running_pod
        stream = await kube.exec(ns, pod, container=container, command=["cat"], stdin=True)
        result = await stream.run(stdin=b"ping\npong\n")
        assert (result.stdout, result.exit_code) == (b"ping\npong\n", 0)

    async def test_exec_refusal_carries_the_status(self, kube: KubeClient, namespace: str) -> None:
        with pytest.raises(NotFound) as missing:
            await kube.exec(namespace, "no-such-pod", command=["true"])
        assert "no-such-pod" in missing.value.status.message
        with pytest.raises(Forbidden) as denied:
            await kube.exec(namespace, "no-such-pod", command=["true"], as_=NOBODY)
        assert '"periscope-contract-nobody"' in denied.value.status.message


async def _log_lines(kube: KubeClient, pod: PodRef) -> list[bytes]:
    async with kube.logs(pod.namespace, pod.name, container=pod.container) as lines:
        return [line async for line in lines]


async def _await_log_lines(kube: KubeClient, pod: PodRef, count: int) -> None:
    with anyio.fail_after(15):
        while True:  # polling: the lines come from the container, not from us
            if len(await _log_lines(kube, pod)) >= count:
                return
            await anyio.sleep(0.2)
