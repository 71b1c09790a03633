"""Which channel protocols to offer a cluster's apiserver: a per-cluster circuit breaker.

Rules:

- closed (the default): offer ``v5.channel.k8s.io`` then ``v4.channel.k8s.io``;
- an upgrade that fails while v5 was offered, and then succeeds offering v4 alone, is
  one v5 failure; ``threshold`` consecutive ones open the breaker;
- open: offer v4 alone for ``cooldown`` seconds, then half-open: v5 is offered again,
  and a single further failure re-opens it at once;
- any upgrade that negotiates v5 closes the breaker and clears the count.

An apiserver that simply prefers v4 (older than 1.30) is not a failure: it picks v4
from the offer. Time is passed in.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from periscope_core.protocols.k8s_channel import V4, V5

__all__ = ["V4_ONLY", "V5_FIRST", "BreakerState", "ProtocolBreaker"]

V5_FIRST = (V5, V4)
V4_ONLY = (V4,)

BreakerState = Literal["closed", "open", "half_open"]


class _Cluster(msgspec.Struct):
    failures: int = 0
    open_until: float | None = None


class ProtocolBreaker:
    """Per-cluster v5 health; see the module docstring for the rules."""

    def __init__(self, *, threshold: int = 3, cooldown: float = 1800.0) -> None:
        if threshold < 1 or cooldown <= 0:
            raise ValueError("threshold and cooldown must be positive")
        self.threshold = threshold
        self.cooldown = cooldown
        self._clusters: dict[str, _Cluster] = {}

    def state(self, cluster: str, now: float) -> BreakerState:
        entry = self._clusters.get(cluster)
        if entry is None or entry.open_until is None:
            return "closed"
        return "open" if now < entry.open_until else "half_open"

    def offer(self, cluster: str, now: float) -> tuple[str, ...]:
        """The subprotocols to offer, most preferred first."""
        return V4_ONLY if self.state(cluster, now) == "open" else V5_FIRST

    def v5_failed(self, cluster: str, now: float) -> bool:
        """Count a v5 upgrade failure; True when this one opened the breaker."""
        entry = self._clusters.setdefault(cluster, _Cluster())
        half_open = self.state(cluster, now) == "half_open"
        entry.failures += 1
        if half_open or entry.failures >= self.threshold:
            entry.open_until = now + self.cooldown
            return True
        return False

    def v5_succeeded(self, cluster: str) -> None:
        self._clusters.pop(cluster, None)
