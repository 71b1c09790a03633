"""Record a Server-Sent Events stream in the background, for tests of live routes and services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import msgspec

from periscope_core.protocols.sse import ServerSentEvent, SSEDecoder

__all__ = ["SseRecorder"]


class SseRecorder:
    """Decodes a byte stream as it arrives: its events, their arrival times, and the raw bytes.

    Start ``run()`` in a task group; ``wait_for`` and friends block until what the test
    expects has arrived, failing after their timeout.
    """

    def __init__(
        self,
        chunks: AsyncIterator[bytes],
        *,
        timeout: float = 2.0,
        ignore: tuple[type[BaseException], ...] = (),
    ) -> None:
        self._chunks = chunks
        self._timeout = timeout
        self._ignore = ignore
        self.events: list[ServerSentEvent] = []
        self.arrived: list[float] = []
        self.raw = bytearray()
        self.finished = False
        self._changed = anyio.Event()

    async def run(self) -> None:
        decoder = SSEDecoder(max_event_bytes=64 << 20)
        try:
            async for chunk in self._chunks:
                self.raw += chunk
                decoder.receive_data(chunk)
                now = anyio.current_time()
                for event in decoder.events():
                    self.events.append(event)
                    self.arrived.append(now)
                self._poke()
        except self._ignore:
            pass  # the stream was closed under the reader on purpose
        finally:
            self.finished = True
            self._poke()

    def _poke(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    def names(self) -> list[str]:
        return [e.event for e in self.events]

    def data(self, index: int) -> Any:
        return msgspec.json.decode(self.events[index].data)

    def last(self, name: str) -> Any:
        """The data of the last event called ``name``."""
        return self.data(len(self.names()) - 1 - self.names()[::-1].index(name))

    async def wait_for(self, check: Callable[[Any], bool], timeout: float | None = None) -> None:
        with anyio.fail_after(self._timeout if timeout is None else timeout):
            while not check(self):
                await self._changed.wait()

    async def wait_event(self, name: str, timeout: float | None = None) -> int:
        """The index of the first event called ``name``, once it has arrived."""
        await self.wait_for(lambda r: name in r.names(), timeout)
        return self.names().index(name)

    async def wait_events(self, *names: str, timeout: float | None = None) -> None:
        """Until the events received end with ``names``."""
        await self.wait_for(lambda r: r.names()[-len(names):] == list(names), timeout)
