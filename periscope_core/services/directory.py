"""The clusters a deployment can reach, each with one cached client."""

from __future__ import annotations

from collections.abc import Mapping

import anyio

from periscope_core.domain.clusters import ClusterEntry, ClusterRegistry
from periscope_core.domain.errors import ClusterNotFound, ConfigError, ConfigProblem
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.services.kube import KubeClient


class ClusterDirectory:
    """Resolves a cluster name to a ``KubeClient``, connecting each cluster once.

    The original product rebuilt its client (and on EKS re-minted tokens) on every
    request; here a transport and its connection pool live as long as the directory.
    """

    def __init__(
        self,
        registry: ClusterRegistry,
        backends: Mapping[str, ClusterBackend],
        context: BackendContext | None = None,
        *,
        request_timeout: float = 30.0,
    ) -> None:
        self.registry = registry
        self._backends = dict(backends)
        self._context = context or BackendContext()
        self._timeout = request_timeout
        self._clients: dict[str, KubeClient] = {}
        self._locks: dict[str, anyio.Lock] = {}

    def entries(self) -> list[ClusterEntry]:
        return list(self.registry.clusters)

    def entry(self, name: str) -> ClusterEntry:
        entry = self.registry.get(name)
        if entry is None:
            raise ClusterNotFound(name)
        return entry

    def validate(self) -> list[ConfigProblem]:
        """Backend-specific problems of every entry (the registry checks the common ones)."""
        problems: list[ConfigProblem] = []
        for entry in self.registry.clusters:
            backend = self._backends.get(entry.backend)
            if backend is None:
                problems.append(ConfigProblem(
                    file=self.registry.source, entry=entry.name, field="backend",
                    message=f"backend {entry.backend!r} is not installed",
                ))
                continue
            problems.extend(
                ConfigProblem(file=self.registry.source, entry=entry.name, field=field, message=message)
                for field, message in backend.validate(entry)
            )
        return problems

    async def client(self, name: str) -> KubeClient:
        entry = self.entry(name)
        if (client := self._clients.get(name)) is not None:
            return client
        lock = self._locks.setdefault(name, anyio.Lock())
        async with lock:
            if (client := self._clients.get(name)) is not None:
                return client
            backend = self._backends.get(entry.backend)
            if backend is None:
                raise ConfigError([ConfigProblem(
                    file=self.registry.source, entry=name, field="backend",
                    message=f"backend {entry.backend!r} is not installed",
                )])
            transport = await backend.connect(entry, self._context)
            client = KubeClient(transport, cluster=name, request_timeout=self._timeout)
            self._clients[name] = client
            return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
