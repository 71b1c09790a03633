"""A deadline for a request's headers: a client that sends them a byte at a time (slowloris) is cut off.

uvicorn has a keep-alive timeout between requests but none while a request's head is
arriving, so a peer can hold a connection (and a slot) forever by trickling header bytes.
The console's HTTP protocol is uvicorn's httptools one with a timer: armed when a
connection opens and when a request begins, disarmed once the headers are complete.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HEADER_TIMEOUT", "with_header_timeout"]

HEADER_TIMEOUT = 10.0
"""Seconds a client has to send a whole request head."""


class _HeaderDeadlineProtocol(HttpToolsProtocol):
    header_timeout = HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_deadline = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _expire(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def with_header_timeout(seconds: float = HEADER_TIMEOUT) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with a ``seconds`` deadline on every request head."""
    return type("HeaderDeadlineProtocol", (_HeaderDeadlineProtocol,), {"header_timeout": seconds})
