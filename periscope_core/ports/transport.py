"""The cluster transport port: one authenticated HTTP hop to a kube-apiserver.

Like httpx's transport, the port is deliberately small: send one request, or open
one WebSocket. Everything Kubernetes-shaped (paths, verbs, watch decoding, status
mapping) lives in the core's ``KubeClient`` on top of it, so every backend
(kubeconfig, in-cluster, EKS, agent tunnel, the in-process sandbox) behaves the
same and is held to the same contract suite.

A transport authenticates as the *bridge* identity of its cluster. Who the call is
made *as* travels in the request's ``Impersonate-*`` headers, which only the core
builds (``Impersonation.headers()``); a transport forwards headers verbatim.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType

import msgspec

from periscope_core.domain.errors import ClusterUnreachable


class KubeRequest(msgspec.Struct, frozen=True):
    method: str
    path: str
    """Absolute, already quoted path, e.g. ``/api/v1/namespaces/default/pods``."""
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    timeout: float | None = None
    """Seconds until the response head must arrive (streams then run unbounded)."""


class KubeResponse(ABC):
    """A response whose body may still be arriving. Always close it (``async with``)."""

    status: int
    headers: Mapping[str, str]
    """Header names in lower case."""

    @abstractmethod
    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Yield the body in chunks as they arrive.

        Raises ClusterUnreachable if the connection breaks mid-body.
        """

    async def aread(self, *, limit: int = 64 << 20) -> bytes:
        """Read the whole body; more than ``limit`` bytes raises ClusterUnreachable."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in self.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise ClusterUnreachable(f"response body larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    @abstractmethod
    async def aclose(self) -> None:
        """Release the connection; idempotent."""

    async def __aenter__(self) -> KubeResponse:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class BufferedResponse(KubeResponse):
    """A response already read into memory (fakes, and small adapters' replies)."""

    def __init__(self, status: int, content: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.content = content
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        if self.content:
            yield self.content

    async def aclose(self) -> None:
        return None


class ChannelSocket(ABC):
    """A WebSocket to the apiserver (exec, attach), carrying binary messages."""

    subprotocol: str
    """The negotiated subprotocol, e.g. ``v5.channel.k8s.io``."""

    @abstractmethod
    async def send(self, message: bytes) -> None:
        """Send one binary message. Raises ClusterUnreachable once the socket is gone."""

    @abstractmethod
    async def receive(self) -> bytes | None:
        """The next binary message, or None once the peer has closed."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close the socket; idempotent."""


class ClusterTransport(ABC):
    """One apiserver, reached as the cluster's bridge identity."""

    @abstractmethod
    async def send(self, request: KubeRequest) -> KubeResponse:
        """Send a request and return once the response head has arrived.

        HTTP error statuses are returned, not raised. Raises ClusterUnreachable when
        the apiserver cannot be reached or the connection fails, UpstreamTimeout when
        ``request.timeout`` passes before the response head.
        """

    @abstractmethod
    async def websocket(self, request: KubeRequest, subprotocols: Sequence[str]) -> ChannelSocket:
        """Open a WebSocket (GET upgrade) offering ``subprotocols`` in order of preference.

        Raises ApiError (with the apiserver's Status) when the upgrade is refused,
        ClusterUnreachable when it cannot connect.
        """

    @abstractmethod
    async def aclose(self) -> None:
        """Release pooled connections; idempotent."""
