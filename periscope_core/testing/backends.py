"""A backend for tests that hands out transports made beforehand, one per cluster name."""

from __future__ import annotations

from collections.abc import Mapping

from periscope_core.domain.clusters import ClusterEntry
from periscope_core.domain.errors import ClusterUnreachable
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.ports.transport import ClusterTransport

__all__ = ["StaticBackend"]


class StaticBackend(ClusterBackend):
    """``connect`` returns the transport given for the entry's name (or the only one given)."""

    def __init__(self, transports: ClusterTransport | Mapping[str, ClusterTransport], *, name: str = "static") -> None:
        self.name = name
        self._transports = transports

    async def connect(self, entry: ClusterEntry, context: BackendContext) -> ClusterTransport:
        if isinstance(self._transports, ClusterTransport):
            return self._transports
        if entry.name not in self._transports:
            raise ClusterUnreachable(f"no transport for cluster {entry.name!r}")
        return self._transports[entry.name]
