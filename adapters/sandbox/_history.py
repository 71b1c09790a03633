"""The change history and the open watches, as the apiserver's watch cache keeps them.

Rules:
- every write is one event with its own resourceVersion; the ring keeps the newest N;
- `floor` is the newest resourceVersion no longer covered: a watch or exact read at an
  RV below it gets 410 Expired, one at or above it is served from the ring;
- each watch is a bounded memory stream; a watcher that cannot keep up is closed (the
  client sees its stream end and must re-watch), never allowed to block writers;
- selectors are applied at delivery, turning an update that enters or leaves the
  selection into ADDED or DELETED, as the watch cache does.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import anyio
import msgspec
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._status import ApiError, expired

Obj = dict[str, Any]
Predicate = Callable[[Obj], bool]


class StoreEvent(msgspec.Struct, frozen=True, gc=False):
    """One committed write; `previous` is the state before it (None for ADDED)."""

    type: str
    rv: int
    group: str
    plural: str
    namespace: str
    name: str
    object: Obj
    previous: Obj | None = None


class WatchKey(NamedTuple):
    """What `watch_stats()` counts by: `pods` or `deployments.apps`, namespace ("" = all), user."""

    resource: str
    namespace: str
    user: str


class WatchStats(msgspec.Struct, frozen=True):
    active: dict[WatchKey, int]
    opened: dict[WatchKey, int]


class Watch:
    """An open watch; `initial` events are due before anything on the stream."""

    def __init__(
        self,
        *,
        key: WatchKey,
        group: str,
        plural: str,
        namespace: str | None,
        predicate: Predicate | None,
        start_rv: int,
        buffer: int,
    ) -> None:
        self.key = key
        self.group = group
        self.plural = plural
        self.namespace = namespace
        self.predicate = predicate
        self.start_rv = start_rv
        self.initial: list[StoreEvent] = []
        send, receive = anyio.create_memory_object_stream[StoreEvent](max_buffer_size=buffer)
        self._send: MemoryObjectSendStream[StoreEvent] = send
        self.events: MemoryObjectReceiveStream[StoreEvent] = receive

    def select(self, event: StoreEvent) -> StoreEvent | None:
        """The event this watcher should see for a committed write, if any."""
        if event.plural != self.plural or event.group != self.group:
            return None
        if self.namespace is not None and event.namespace != self.namespace:
            return None
        if self.predicate is None:
            return event
        now = event.type != "DELETED" and self.predicate(event.object)
        before = event.type != "ADDED" and event.previous is not None and self.predicate(
            event.previous if event.type == "MODIFIED" else event.object)
        if now and before:
            return event
        if now:
            return msgspec.structs.replace(event, type="ADDED")
        if before:
            return msgspec.structs.replace(event, type="DELETED")
        return None

    def offer(self, event: StoreEvent) -> bool:
        """Queues without blocking; False once the watcher is closed or too slow."""
        try:
            self._send.send_nowait(event)
        except anyio.WouldBlock:
            self.close()
            return False
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            return False
        return True

    def close(self) -> None:
        self._send.close()


class History:
    """The ring of recent events plus the registry of open watches."""

    def __init__(self, *, size: int, watch_buffer: int, start_rv: int) -> None:
        self._events: deque[StoreEvent] = deque(maxlen=size)
        self._watch_buffer = watch_buffer
        self.floor = start_rv
        self._watches: set[Watch] = set()
        self._opened: Counter[WatchKey] = Counter()

    def record(self, event: StoreEvent) -> None:
        if self._events.maxlen is not None and len(self._events) == self._events.maxlen:
            self.floor = self._events[0].rv
        self._events.append(event)
        for watch in list(self._watches):
            selected = watch.select(event)
            if selected is not None and not watch.offer(selected):
                self._watches.discard(watch)

    def compact(self, current_rv: int) -> None:
        self._events.clear()
        self.floor = current_rv

    def check(self, rv: int) -> None:
        if rv < self.floor:
            raise too_old(rv, self.floor)

    def since(self, rv: int) -> Iterator[StoreEvent]:
        """Events newer than `rv`, oldest first; `check(rv)` first."""
        for event in self._events:
            if event.rv > rv:
                yield event

    def newest_first(self) -> Iterator[StoreEvent]:
        return reversed(self._events)

    def open(
        self,
        *,
        key: WatchKey,
        group: str,
        plural: str,
        namespace: str | None,
        predicate: Predicate | None,
        start_rv: int,
    ) -> Watch:
        watch = Watch(key=key, group=group, plural=plural, namespace=namespace, predicate=predicate,
                      start_rv=start_rv, buffer=self._watch_buffer)
        self._watches.add(watch)
        self._opened[key] += 1
        return watch

    def close(self, watch: Watch) -> None:
        """The reader is done with `watch`."""
        watch.close()
        watch.events.close()
        self._watches.discard(watch)

    def close_all(self) -> None:
        """Ends every watch: readers drain what is queued, then see the end of the stream."""
        for watch in self._watches:
            watch.close()
        self._watches.clear()

    def stats(self) -> WatchStats:
        return WatchStats(active=dict(Counter(w.key for w in self._watches)), opened=dict(self._opened))


def too_old(rv: int, floor: int) -> ApiError:
    return expired(f"too old resource version: {rv} ({floor})")
