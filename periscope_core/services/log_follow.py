"""One log session: the pods to read (tracked live), one reader per pod, one merged output.

Rules:
- the pods come from a list, then (when following) a pod watch re-opened from its last
  resourceVersion, relisted on 410; a pod joining starts a reader, a pod leaving ends its
  reader once its stream is drained;
- at most ``max_pods`` readers run; the newest pods are read, ``meta`` says so, and a
  slot that frees up goes to the newest pod not yet read;
- a reader whose stream ends while its pod lives on (the container restarted) waits for
  the pod to change, then re-opens from the last line's time and skips what was sent;
- every failure is reported once per distinct message, with the pod it concerns;
- everything the client sees goes through the merger, so only one task writes output.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias

import anyio
import msgspec
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectSendStream

from periscope_core.domain.errors import Gone, PeriscopeError
from periscope_core.domain.identity import Impersonation
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.protocols.errors import ProtocolError
from periscope_core.protocols.watch import Bookmark, Expired, ObjectEvent, WatchError
from periscope_core.services.kube import KubeClient
from periscope_core.services.log_lines import LogOptions, ResumePoint, parse_line
from periscope_core.services.log_merge import LogMerger, MergedLine

__all__ = ["EndItem", "LineItem", "LogItem", "LogSession", "MetaItem", "PodErrorItem", "PodInfo", "Selection"]

PODS = GroupVersionResource("", "v1", "pods")
_DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
_WATCH_TIMEOUT = 290


class LineItem(msgspec.Struct, frozen=True):
    pod: str
    stamp: str
    text: str


class PodInfo(msgspec.Struct, frozen=True):
    name: str
    node: str


class MetaItem(msgspec.Struct, frozen=True):
    pods: list[PodInfo]
    total: int
    limit: int
    message: str = ""


class PodErrorItem(msgspec.Struct, frozen=True):
    pod: str
    message: str


class EndItem(msgspec.Struct, frozen=True):
    reason: Literal["done", "error"]
    message: str = ""


LogItem: TypeAlias = LineItem | MetaItem | PodErrorItem | EndItem
Notice: TypeAlias = MetaItem | PodErrorItem


class Selection(msgspec.Struct, frozen=True):
    """Which pods: one by name, or a workload's by label selector."""

    namespace: str
    pod: str = ""
    label_selector: str = ""


class _Pod:
    """What the session knows about one pod."""

    __slots__ = ("changed", "container", "created", "finished", "gone", "name", "node", "reading", "terminal")

    def __init__(self, name: str) -> None:
        self.name = name
        self.node = self.container = self.created = ""
        self.terminal = self.gone = self.reading = False
        self.finished = False
        """Its reader has returned for good."""
        self.changed = anyio.Event()

    def update(self, obj: dict[str, Any], wanted_container: str) -> None:
        meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
        containers = [c.get("name", "") for c in spec.get("containers") or []]
        default = (meta.get("annotations") or {}).get(_DEFAULT_CONTAINER, "")
        self.container = wanted_container or default or (containers[0] if containers else "")
        self.node = spec.get("nodeName", "")
        self.created = meta.get("creationTimestamp") or ""
        self.terminal = bool(meta.get("deletionTimestamp")) or status.get("phase") in ("Succeeded", "Failed")
        self.poke()

    def over(self) -> bool:
        """Nothing more will be logged: the pod is gone, terminating or finished."""
        return self.gone or self.terminal

    def poke(self) -> None:
        self.changed.set()
        self.changed = anyio.Event()


class _Expired(Exception):
    """The pod watch's resume point is gone (410); list again."""


class LogSession:
    """Runs in a task owned by the log service; the output stream is the only way out."""

    def __init__(
        self,
        client: KubeClient,
        selection: Selection,
        options: LogOptions,
        *,
        as_: Impersonation,
        matcher: Callable[[str], bool] | None,
        max_pods: int,
        merge_window: float,
        per_pod: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client, self._selection, self._options, self._as = client, selection, options, as_
        self._matcher, self._max_pods, self._clock = matcher, max_pods, clock
        self._merger: LogMerger[Notice] = LogMerger(window=merge_window, per_pod=per_pod)
        self._pods: dict[str, _Pod] = {}
        self._rv = ""
        self._tg: TaskGroup | None = None
        self._last_watch_error = ""

    @property
    def following(self) -> bool:
        return self._options.follow and not self._options.previous

    async def prepare(self) -> None:
        """List the pods; raises what the apiserver answered (403, 404...) before anything streams."""
        selection = self._selection
        if selection.pod:
            obj = await self._client.get(PODS, selection.pod, namespace=selection.namespace, as_=self._as)
            items, self._rv = [obj], str((obj.get("metadata") or {}).get("resourceVersion", ""))
        else:
            listed = await self._client.list(
                PODS, namespace=selection.namespace, label_selector=selection.label_selector, as_=self._as
            )
            items, self._rv = listed.items, listed.resource_version
        for obj in items:
            self._observe("ADDED", obj)

    async def run(self, send: MemoryObjectSendStream[LogItem]) -> None:
        async with send, anyio.create_task_group() as tg:
            self._tg = tg
            self._fill()
            if self.following:
                tg.start_soon(self._track)
            else:
                self._merger.finish()
            await self._pump(send)
            tg.cancel_scope.cancel()

    async def _pump(self, send: MemoryObjectSendStream[LogItem]) -> None:
        workload = not self._selection.pod
        try:
            while (item := await self._merger.get()) is not None:
                if isinstance(item, MergedLine):
                    await send.send(LineItem(item.pod if workload else "", item.stamp, item.text))
                else:
                    await send.send(item)
            await send.send(EndItem("done"))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return  # the client left

    # -- the pod set -------------------------------------------------------------------

    def _observe(self, kind: str, obj: dict[str, Any]) -> None:
        name = (obj.get("metadata") or {}).get("name", "")
        if kind == "DELETED":
            pod = self._pods.pop(name, None)
            if pod is not None:
                pod.gone = True
                pod.poke()
                self._roster_changed()
            return
        pod = self._pods.get(name)
        if pod is None:
            pod = self._pods[name] = _Pod(name)
            pod.update(obj, self._options.container)
            self._roster_changed()
        else:
            pod.update(obj, self._options.container)

    def _roster_changed(self) -> None:
        if self._tg is not None:
            self._fill()

    def _fill(self) -> None:
        """Start readers up to the cap, newest pods first, and say who is being read."""
        assert self._tg is not None
        reading = [p for p in self._pods.values() if p.reading]
        waiting = sorted((p for p in self._pods.values() if not (p.reading or p.finished)),
                         key=lambda p: (p.created, p.name), reverse=True)
        for pod in waiting[: max(self._max_pods - len(reading), 0)]:
            pod.reading = True
            self._merger.open(pod.name)
            self._tg.start_soon(self._read, pod, name=f"logs {pod.name}")
            reading.append(pod)
        if self._selection.pod:
            return  # one pod: nothing to say about which pods are read
        total = len(self._pods)
        message = ""
        if total > len(reading):
            message = f"following {len(reading)} of {total} pods (the newest); the limit is {self._max_pods}"
        infos = [PodInfo(p.name, p.node) for p in sorted(reading, key=lambda p: p.name)]
        self._merger.notice(MetaItem(pods=infos, total=total, limit=self._max_pods, message=message))

    async def _track(self) -> None:
        """Follow the pod set until cancelled (or, for one pod, until it is gone)."""
        delay = 1.0
        while not (self._selection.pod and not self._pods):
            try:
                await self._watch_pods()
                delay = 1.0
            except (Gone, _Expired):
                await self._relist()
            except (PeriscopeError, ProtocolError) as exc:
                self._watch_failed(f"pod watch: {exc}")
                await anyio.sleep(delay)
                delay = min(delay * 2, 30.0)
        self._merger.finish()

    async def _watch_pods(self) -> None:
        selection = self._selection
        field_selector = f"metadata.name={selection.pod}" if selection.pod else ""
        async with self._client.watch(
            PODS, namespace=selection.namespace, resource_version=self._rv, label_selector=selection.label_selector,
            field_selector=field_selector, timeout_seconds=_WATCH_TIMEOUT, as_=self._as,
        ) as events:
            async for event in events:
                if isinstance(event, ObjectEvent):
                    self._rv = event.resource_version or self._rv
                    self._observe(event.type, event.object)
                    if selection.pod and not self._pods:
                        return
                elif isinstance(event, Bookmark):
                    self._rv = event.resource_version
                elif isinstance(event, Expired):
                    raise _Expired(event.message)
                elif isinstance(event, WatchError):
                    raise PeriscopeError(f"{event.code} {event.reason}: {event.message}")
        self._last_watch_error = ""

    async def _relist(self) -> None:
        selection = self._selection
        field_selector = f"metadata.name={selection.pod}" if selection.pod else ""
        listed = await self._client.list(
            PODS, namespace=selection.namespace, label_selector=selection.label_selector,
            field_selector=field_selector, as_=self._as,
        )
        self._rv = listed.resource_version
        present = {(obj.get("metadata") or {}).get("name", ""): obj for obj in listed.items}
        for name in [n for n in self._pods if n not in present]:
            self._observe("DELETED", {"metadata": {"name": name}})
        for obj in present.values():
            self._observe("MODIFIED" if obj["metadata"].get("name") in self._pods else "ADDED", obj)

    def _watch_failed(self, message: str) -> None:
        if message != self._last_watch_error:
            self._last_watch_error = message
            self._merger.notice(PodErrorItem(pod="", message=message))

    # -- one pod -------------------------------------------------------------------------

    async def _read(self, pod: _Pod) -> None:
        options, merger, matcher = self._options, self._merger, self._matcher
        resume, opened, last_error, delay = ResumePoint(), False, "", 0.0
        try:
            while True:
                changed, progressed = pod.changed, False
                try:
                    async with self._client.logs(
                        self._selection.namespace, pod.name, container=pod.container, follow=self.following,
                        previous=options.previous, tail_lines=None if opened else options.tail_lines,
                        since_seconds=resume.since_seconds(self._clock()) if opened else options.since_seconds,
                        timestamps=True, as_=self._as,
                    ) as lines:
                        if opened:
                            resume.reopened()
                        opened, last_error = True, ""
                        async for raw in lines:
                            stamp, at, text = parse_line(raw)
                            if resume.fresh(at, text):
                                progressed = True
                                if matcher is None or matcher(text):
                                    await merger.put(pod.name, stamp, at, text)
                except (PeriscopeError, ProtocolError) as exc:
                    if str(exc) != last_error:
                        last_error = str(exc)
                        merger.notice(PodErrorItem(pod=pod.name, message=last_error))
                if not self.following or pod.over():
                    return
                # The stream ended: cut off (re-open at once), or the container exited or cannot start
                # (wait for the pod to change, backing off).
                delay = 0.0 if progressed else min(max(delay * 2, 1.0), 30.0)
                if delay:
                    with anyio.move_on_after(delay):
                        await changed.wait()
                if pod.over():
                    return
        finally:
            pod.reading, pod.finished = False, True
            merger.close(pod.name)
            if self.following:
                self._roster_changed()  # a slot is free for a pod not yet read
