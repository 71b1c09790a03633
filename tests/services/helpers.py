"""A sandbox apiserver reached in-process, identities with and without rights, and SSE readers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import anyio
import msgspec

from periscope_adapters.sandbox import ADMIN_USER, ApiServer, InProcessTransport
from periscope_adapters.sandbox._manifests import container, pod
from periscope_core.domain.errors import ClusterNotFound
from periscope_core.domain.identity import Impersonation
from periscope_core.services.kube import KubeClient
from periscope_core.services.watch_hub import HubSettings, WatchHub
from periscope_core.services.watch_upstream import UpstreamSettings
from periscope_core.testing.sse import SseRecorder

TIER_READ = Impersonation(user="periscope-tier-read", groups=("periscope-tier:read",))
"""Tier mode: every member of the read tier is impersonated as this one identity."""
BOB = Impersonation(user="bob")
MALLORY = Impersonation(user="mallory")
"""Bound to nothing: may not list anything."""
NS = "team-a"


class Clients:
    """One cluster, reached in-process as the sandbox admin (who may impersonate anyone)."""

    def __init__(self, api: ApiServer) -> None:
        self.api = api
        self.kube = KubeClient(InProcessTransport(api, ADMIN_USER), cluster="c1")

    async def client(self, name: str) -> KubeClient:
        if name != "c1":
            raise ClusterNotFound(name)
        return self.kube

    def watches(self, user: str, resource: str = "pods") -> tuple[int, int]:
        """(open now, opened ever) upstream watches the apiserver saw for ``user`` on ``resource``."""
        stats = self.api.watch_stats()
        active = sum(n for k, n in stats.active.items() if k.user == user and k.resource == resource)
        opened = sum(n for k, n in stats.opened.items() if k.user == user and k.resource == resource)
        return active, opened

    def add_pod(self, name: str, ns: str = NS, **labels: str) -> dict[str, Any]:
        manifest = pod(ns, name, [container("app", "nginx:1.27")])
        manifest["metadata"]["labels"].update(labels)
        created: dict[str, Any] = self.api.create_object(manifest)
        return created


def settings(**overrides: Any) -> HubSettings:
    upstream = overrides.pop("upstream", UpstreamSettings())
    return msgspec.structs.replace(HubSettings(linger=0.2, drain_timeout=1.0, upstream=upstream), **overrides)


@asynccontextmanager
async def running_hub(clients: Clients, **overrides: Any) -> AsyncIterator[WatchHub]:
    async with WatchHub(clients, settings=settings(**overrides)) as hub:
        yield hub


class Stream(Protocol):
    @property
    def end_reason(self) -> Any: ...

    def frames(self) -> AsyncIterator[bytes]: ...

    def close(self) -> None: ...


class Reader(SseRecorder):
    """Reads one stream (a watch subscription, a log) in the background, decoding what arrives."""

    def __init__(self, sub: Stream) -> None:
        super().__init__(sub.frames())
        self.sub = sub


async def eventually(check: Callable[[], bool], timeout: float = 2.0, step: float = 0.02) -> None:
    """Poll ``check`` until it holds (for state only visible by asking, such as watch counts)."""
    for _ in range(int(timeout / step)):
        if check():
            return
        await anyio.sleep(step)
    raise AssertionError(f"not true within {timeout} s")
