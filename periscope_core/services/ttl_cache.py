"""A bounded, least-recently-used cache whose entries expire after a fixed time."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

__all__ = ["TtlCache"]


class TtlCache:
    """Least-recently-used entries, each valid for ``ttl`` seconds; ``ttl`` 0 caches nothing."""

    def __init__(self, *, ttl: float, max_entries: int, clock: Callable[[], float]) -> None:
        self._ttl, self._max, self._clock = ttl, max_entries, clock
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()

    def get(self, key: Hashable) -> object | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, value: object) -> None:
        if self._ttl <= 0:
            return
        self._entries[key] = (self._clock() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
