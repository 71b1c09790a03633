"""The fleet: every registered cluster's health at a glance, as the caller sees it.

Clusters are asked in parallel, each under the caller's impersonation and its own
deadline, so one slow or unreachable cluster becomes one card in an error state while
the others answer. Answers are kept for a few seconds per (identity, cluster): the
page polls, and many people share a tier identity. Unlike the original, a failure is
kept for a shorter time than an answer (a cluster coming back shows at once), the cache
is bounded, and hot signals count every pod rather than the first twenty failing ones.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Literal

import anyio
import msgspec

from periscope_core.domain.clusters import ClusterEntry
from periscope_core.domain.errors import (
    ClusterUnreachable,
    Forbidden,
    PeriscopeError,
    Unauthorized,
    UpstreamTimeout,
)
from periscope_core.domain.identity import Impersonation
from periscope_core.services.browse import BrowseService
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.projections.resources import NodeSummary
from periscope_core.services.projections.workloads import PodSummary

__all__ = ["Fleet", "FleetEntry", "FleetService", "hot_signal"]

_log = logging.getLogger("periscope.fleet")

ClusterStatus = Literal["healthy", "degraded", "unreachable", "unknown", "denied"]
ErrorCode = Literal["denied", "auth_failed", "timeout", "apiserver_unreachable", "unknown"]

_STATUS_OF_ERROR: dict[ErrorCode, ClusterStatus] = {
    "denied": "denied", "auth_failed": "unreachable", "apiserver_unreachable": "unreachable",
    "timeout": "unknown", "unknown": "unknown",
}  # fmt: skip

# Pod states that mean "a human should look", grouped as the fleet cards show them.
_SIGNALS = {
    "CrashLoopBackOff": "CrashLoop",
    "ImagePullBackOff": "ImagePull", "ErrImagePull": "ImagePull", "ErrImageNeverPull": "ImagePull",
    "InvalidImageName": "ImagePull",
    "OOMKilled": "OOMKilled",
    "CreateContainerConfigError": "Failed", "CreateContainerError": "Failed", "RunContainerError": "Failed",
    "DeadlineExceeded": "Failed", "Evicted": "Failed", "Error": "Failed", "Failed": "Failed",
}  # fmt: skip


class NodeCounts(msgspec.Struct, frozen=True):
    ready: int
    total: int


class PodCounts(msgspec.Struct, frozen=True):
    running: int
    pending: int
    failed: int
    total: int


class ClusterCounts(msgspec.Struct, frozen=True, rename="camel"):
    nodes: NodeCounts
    pods: PodCounts
    namespaces: int
    stuck_or_failed: int


class HotSignal(msgspec.Struct, frozen=True):
    kind: str
    count: int


class FleetError(msgspec.Struct, frozen=True):
    code: ErrorCode
    message: str


class FleetEntry(msgspec.Struct, frozen=True, omit_defaults=True, rename="camel"):
    """One card: the registry labels, then what the cluster answered (or why it did not)."""

    name: str
    backend: str
    status: ClusterStatus
    environment: str = ""
    region: str = ""
    account_id: str = msgspec.field(default="", name="accountID")
    tags: dict[str, str] = {}
    kubernetes_version: str = ""
    summary: ClusterCounts | None = None
    hot_signals: list[HotSignal] = []
    error: FleetError | None = None
    last_contact: datetime | None = None
    """When the cluster last answered this identity (kept across failures)."""


class FleetRollup(msgspec.Struct, frozen=True, rename="camel"):
    total_clusters: int
    by_status: dict[str, int]
    by_environment: dict[str, int]
    generated_at: datetime


class Fleet(msgspec.Struct, frozen=True):
    clusters: list[FleetEntry]
    rollup: FleetRollup


def hot_signal(pod: PodSummary) -> str | None:
    """The hot signal a pod contributes, if any."""
    return _SIGNALS.get(pod.status) or ("Failed" if pod.phase == "Failed" else None)


def _account(entry: ClusterEntry) -> str:
    parts = entry.arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _now() -> datetime:
    return datetime.now(UTC)


class FleetService:
    """``fleet(as_=...)``: one entry per registered cluster, in registry order."""

    def __init__(
        self,
        directory: ClusterDirectory,
        browse: BrowseService,
        *,
        cluster_timeout: float = 4.0,
        answer_ttl: float = 10.0,
        failure_ttl: float = 3.0,
        max_cached: int = 2048,
        wall_clock: Callable[[], datetime] = _now,
    ) -> None:
        self._directory = directory
        self._browse = browse
        self._timeout = cluster_timeout
        self._answer_ttl, self._failure_ttl = answer_ttl, failure_ttl
        self._max_cached = max_cached
        self._wall = wall_clock
        self._cache: OrderedDict[tuple[Impersonation, str], tuple[float, FleetEntry]] = OrderedDict()
        self._last_contact: dict[tuple[Impersonation, str], datetime] = {}

    async def fleet(self, *, as_: Impersonation) -> Fleet:
        entries = self._directory.entries()
        results: list[FleetEntry | None] = [None] * len(entries)

        async def one(index: int, entry: ClusterEntry) -> None:
            results[index] = await self._entry(entry, as_)

        async with anyio.create_task_group() as tg:
            for index, entry in enumerate(entries):
                tg.start_soon(one, index, entry)
        clusters = [result for result in results if result is not None]
        return Fleet(clusters=clusters, rollup=self._rollup(clusters))

    def _rollup(self, clusters: Sequence[FleetEntry]) -> FleetRollup:
        return FleetRollup(
            total_clusters=len(clusters),
            by_status=dict(Counter(c.status for c in clusters)),
            by_environment=dict(Counter(c.environment or "other" for c in clusters)),
            generated_at=self._wall(),
        )

    async def _entry(self, entry: ClusterEntry, as_: Impersonation) -> FleetEntry:
        key = (as_, entry.name)
        now = anyio.current_time()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(key)
            return cached[1]
        try:
            with anyio.fail_after(self._timeout):
                fresh = await self._summarize(entry, as_)
            self._last_contact[key] = self._wall()
            ttl = self._answer_ttl
        except Exception as exc:  # any failure is this cluster's card, never the whole page
            fresh = self._failed(entry, _leaf(exc))
            ttl = self._failure_ttl
        fresh = msgspec.structs.replace(fresh, last_contact=self._last_contact.get(key))
        self._remember(key, anyio.current_time() + ttl, fresh)
        return fresh

    def _remember(self, key: tuple[Impersonation, str], expires: float, entry: FleetEntry) -> None:
        self._cache[key] = (expires, entry)
        self._cache.move_to_end(key)
        while len(self._cache) > self._max_cached:
            evicted, _ = self._cache.popitem(last=False)
            self._last_contact.pop(evicted, None)

    def _labels(self, entry: ClusterEntry, status: ClusterStatus) -> FleetEntry:
        return FleetEntry(name=entry.name, backend=entry.backend, status=status, environment=entry.environment,
                          region=entry.region, account_id=_account(entry), tags=dict(entry.tags))  # fmt: skip

    async def _summarize(self, entry: ClusterEntry, as_: Impersonation) -> FleetEntry:
        lists: dict[str, list[msgspec.Struct]] = {}
        version: dict[str, object] = {}

        async def listed(plural: str) -> None:
            lists[plural] = list((await self._browse.list_kind(entry.name, plural, as_=as_)).items)

        async def server_version() -> None:
            client = await self._directory.client(entry.name)
            version.update(await client.version())

        async with anyio.create_task_group() as tg:
            for plural in ("nodes", "pods", "namespaces"):
                tg.start_soon(listed, plural)
            tg.start_soon(server_version)
        nodes = [n for n in lists["nodes"] if isinstance(n, NodeSummary)]
        pods = [p for p in lists["pods"] if isinstance(p, PodSummary)]
        phases = Counter(p.phase for p in pods)
        signals = Counter(signal for p in pods if (signal := hot_signal(p)))
        ready = sum(1 for n in nodes if n.ready)
        stuck = sum(signals.values())
        counts = ClusterCounts(
            nodes=NodeCounts(ready=ready, total=len(nodes)),
            pods=PodCounts(
                running=phases["Running"], pending=phases["Pending"], failed=phases["Failed"], total=len(pods)
            ),
            namespaces=len(lists["namespaces"]),
            stuck_or_failed=stuck,
        )
        status: ClusterStatus = "degraded" if ready < len(nodes) or stuck else "healthy"
        return msgspec.structs.replace(
            self._labels(entry, status),
            kubernetes_version=str(version.get("gitVersion", "")),
            summary=counts,
            hot_signals=[HotSignal(kind, count) for kind, count in signals.most_common()],
        )

    def _failed(self, entry: ClusterEntry, exc: BaseException) -> FleetEntry:
        code = _code(exc)
        if code == "timeout":
            message = f"no answer within {self._timeout:g} s"
        elif isinstance(exc, PeriscopeError):
            message = exc.message
        else:
            _log.error("fleet: cluster %s failed unexpectedly", entry.name, exc_info=exc)
            message = "internal error"
        status = _STATUS_OF_ERROR[code]
        return msgspec.structs.replace(self._labels(entry, status), error=FleetError(code, message[:200]))


def _leaf(exc: BaseException) -> BaseException:
    """What a task group wrapped: the first error is the cluster's."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _code(exc: BaseException) -> ErrorCode:
    if isinstance(exc, Forbidden):
        return "denied"
    if isinstance(exc, Unauthorized):
        return "auth_failed"
    if isinstance(exc, TimeoutError | UpstreamTimeout):
        return "timeout"
    if isinstance(exc, ClusterUnreachable):
        return "apiserver_unreachable"
    return "unknown"
