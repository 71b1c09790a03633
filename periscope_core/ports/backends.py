"""The backend port: turns a registry entry into a transport to that cluster.

Backends are found through the ``periscope.backends`` entry-point group, so a third
party adds one by installing a package; the core ships none of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import msgspec

from periscope_core.domain.clusters import ClusterEntry
from periscope_core.ports.transport import ClusterTransport


class BackendContext(msgspec.Struct, frozen=True):
    """What a backend may need beyond its entry."""

    registry_dir: str = "."
    """Relative ``kubeconfigPath`` values resolve against the registry file's folder."""
    data_dir: str = ""


class ClusterBackend(ABC):
    """Connects registry entries of one ``backend:`` value."""

    name: str

    def validate(self, entry: ClusterEntry) -> list[tuple[str, str]]:
        """Problems with the entry as ``(field, message)`` pairs; empty when valid."""
        return []

    @abstractmethod
    async def connect(self, entry: ClusterEntry, context: BackendContext) -> ClusterTransport:
        """Build the transport; called once per cluster, the result is cached.

        Raises ConfigError for an unusable entry (missing file, unknown context),
        ClusterUnreachable when credentials cannot be obtained.
        """
