"""Lines from several pods merged into one stream in time order, without dropping any.

Rules:
- each pod's lines arrive in time order; a line may be emitted once every pod still
  being read has a line queued (none of them can produce an earlier one), or once it
  has waited ``window`` seconds (a quiet pod does not hold the others back for long);
- each pod has a bounded queue and its reader waits when it is full: backpressure
  reaches the kubelet's stream instead of lines being dropped;
- notices (who is being read, a pod's error) jump the queue: they are rare and the
  client should see them at once;
- ``get`` returns None once ``finish`` was called, no pod is being read and nothing
  is queued.
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from datetime import UTC, datetime
from typing import Generic, TypeVar

import anyio
import msgspec

__all__ = ["LogMerger", "MergedLine"]

_NEVER = datetime.min.replace(tzinfo=UTC)
N = TypeVar("N")


class MergedLine(msgspec.Struct, frozen=True, order=True):
    """Sorted by time, then by arrival for lines with the same (or no) timestamp."""

    sort_at: datetime
    seq: int
    pod: str = msgspec.field(default="")
    stamp: str = ""
    text: str = ""
    arrived: float = 0.0


class LogMerger(Generic[N]):
    def __init__(self, *, window: float = 0.25, per_pod: int = 256) -> None:
        self._window = window
        self._per_pod = per_pod
        self._heap: list[MergedLine] = []
        self._queued: Counter[str] = Counter()
        self._last: dict[str, datetime] = {}
        self._live: set[str] = set()
        self._seq = 0
        self._finished = False
        self._notices: deque[N] = deque()
        self._changed = anyio.Event()

    def _poke(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    def open(self, pod: str) -> None:
        """A reader for ``pod`` starts."""
        self._live.add(pod)

    def close(self, pod: str) -> None:
        """The reader for ``pod`` is done; its queued lines are still delivered."""
        self._live.discard(pod)
        self._poke()

    def finish(self) -> None:
        """No reader will be opened any more."""
        self._finished = True
        self._poke()

    def notice(self, item: N) -> None:
        """Deliver ``item`` before any queued line."""
        self._notices.append(item)
        self._poke()

    async def put(self, pod: str, stamp: str, at: datetime | None, text: str) -> None:
        """Queue a line; waits while ``pod`` already has ``per_pod`` lines queued."""
        while self._queued[pod] >= self._per_pod:
            await self._changed.wait()
        # A line without a timestamp sorts with the pod's previous line.
        sort_at = at or self._last.get(pod, _NEVER)
        self._last[pod] = sort_at
        self._seq += 1
        heapq.heappush(self._heap, MergedLine(sort_at, self._seq, pod, stamp, text, anyio.current_time()))
        self._queued[pod] += 1
        self._poke()

    async def get(self) -> MergedLine | N | None:
        """The next notice or line in time order; None when everything has been delivered."""
        while True:
            wait: float | None = None
            if self._notices:
                return self._notices.popleft()
            if self._heap:
                head = self._heap[0]
                wait = head.arrived + self._window - anyio.current_time()
                if wait <= 0 or all(self._queued[p] for p in self._live):
                    heapq.heappop(self._heap)
                    self._queued[head.pod] -= 1
                    self._poke()
                    return head
            elif self._finished and not self._live:
                return None
            changed = self._changed
            with anyio.move_on_after(wait if wait is not None else float("inf")):
                await changed.wait()
