"""The browser end of an exec session, as the relay sees it: whole WebSocket frames each way."""

from __future__ import annotations

from abc import ABC, abstractmethod

__all__ = ["TerminalGone", "TerminalPeer"]


class TerminalGone(Exception):
    """The browser's socket is closed; nothing more can be sent to it."""


class TerminalPeer(ABC):
    """One accepted browser WebSocket."""

    @abstractmethod
    async def receive(self) -> bytes | str | None:
        """The next frame (bytes for binary, str for text), or None once the browser has gone.

        A frame larger than the peer's limit also ends the connection (None).
        """

    @abstractmethod
    async def send_bytes(self, data: bytes) -> None:
        """Send one binary frame. Raises TerminalGone once the socket is closed."""

    @abstractmethod
    async def send_text(self, text: str) -> None:
        """Send one text frame. Raises TerminalGone once the socket is closed."""

    @abstractmethod
    async def close(self, code: int, reason: str = "") -> None:
        """Close with an application or standard close code; idempotent, never raises."""
