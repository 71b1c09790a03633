"""The agent tunnel's socket port: one message-oriented connection between the hub and an agent.

The WebSocket behind it (mutual TLS on the hub's agent listener) is an adapter's business;
the session on top (``periscope_core.services.tunnel``) only sends and receives whole
binary messages, each one tunnel frame.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

__all__ = ["TunnelSocket"]


class TunnelSocket(ABC):
    @abstractmethod
    async def send(self, message: bytes) -> None:
        """Send one binary message. Raises ClusterUnreachable once the connection is gone."""

    @abstractmethod
    async def receive(self) -> bytes | None:
        """The next binary message, or None once the peer has closed."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close the connection; idempotent."""
