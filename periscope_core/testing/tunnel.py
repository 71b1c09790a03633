"""Two tunnel sockets joined in memory: a hub and an agent session without a network between them."""

from __future__ import annotations

import math

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from periscope_core.domain.errors import ClusterUnreachable
from periscope_core.ports.tunnel import TunnelSocket

__all__ = ["MemoryTunnelSocket", "memory_tunnel_pair"]


class MemoryTunnelSocket(TunnelSocket):
    def __init__(self, outgoing: MemoryObjectSendStream[bytes], incoming: MemoryObjectReceiveStream[bytes]) -> None:
        self._out, self._in = outgoing, incoming
        self.sent: list[bytes] = []
        """Every message sent, for tests that look at the frames."""

    async def send(self, message: bytes) -> None:
        try:
            await self._out.send(message)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError) as exc:
            raise ClusterUnreachable("the tunnel is closed") from exc
        self.sent.append(message)

    async def receive(self) -> bytes | None:
        try:
            return await self._in.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return None

    async def aclose(self) -> None:
        await self._out.aclose()
        await self._in.aclose()


def memory_tunnel_pair() -> tuple[MemoryTunnelSocket, MemoryTunnelSocket]:
    """(hub end, agent end); closing either end ends the other's ``receive``."""
    to_agent, agent_in = anyio.create_memory_object_stream[bytes](math.inf)
    to_hub, hub_in = anyio.create_memory_object_stream[bytes](math.inf)
    return MemoryTunnelSocket(to_agent, hub_in), MemoryTunnelSocket(to_hub, agent_in)
