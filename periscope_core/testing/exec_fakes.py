"""In-memory fakes of the exec ports: a browser terminal driven by a test, and a recording store."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import msgspec

from periscope_core.ports.recording import RecordingMeta, RecordingStore, RecordingUnavailable, RecordingWriter
from periscope_core.ports.terminal import TerminalGone, TerminalPeer

__all__ = ["MemoryRecordingStore", "MemoryTerminal"]


class MemoryTerminal(TerminalPeer):
    """The browser side of a session: the test types (``type_bytes``, ``type_text``, ``leave``) and reads.

    Server frames land in ``frames`` (bytes for binary, decoded JSON dicts for text);
    ``close_code`` is set once the session closed the socket.
    """

    def __init__(self) -> None:
        self._to_server, self._inbox = anyio.create_memory_object_stream[bytes | str | None](64)
        self.frames: list[bytes | dict[str, object]] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self._changed = anyio.Event()

    # -- the test's side -------------------------------------------------------------

    async def type_bytes(self, data: bytes) -> None:
        await self._to_server.send(data)

    async def type_text(self, message: dict[str, object]) -> None:
        await self._to_server.send(msgspec.json.encode(message).decode())

    async def leave(self) -> None:
        """The browser tab goes away without a word."""
        await self._to_server.send(None)

    @property
    def output(self) -> bytes:
        return b"".join(f for f in self.frames if isinstance(f, bytes))

    def messages(self, kind: str = "") -> list[dict[str, object]]:
        return [f for f in self.frames if isinstance(f, dict) and (not kind or f.get("type") == kind)]

    async def wait_for(self, predicate: Callable[[MemoryTerminal], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate(self)`` holds."""
        with anyio.fail_after(timeout):
            while not predicate(self):
                await self._changed.wait()

    def _poke(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    # -- the session's side ----------------------------------------------------------

    async def receive(self) -> bytes | str | None:
        if self.close_code is not None:
            return None
        return await self._inbox.receive()

    async def send_bytes(self, data: bytes) -> None:
        self._check_open()
        self.frames.append(data)
        self._poke()

    async def send_text(self, text: str) -> None:
        self._check_open()
        self.frames.append(msgspec.json.decode(text))
        self._poke()

    async def close(self, code: int, reason: str = "") -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
            self._poke()

    def _check_open(self) -> None:
        if self.close_code is not None:
            raise TerminalGone("closed")


class _MemoryWriter(RecordingWriter):
    def __init__(self, store: MemoryRecordingStore, recording_id: str) -> None:
        self._store, self._id = store, recording_id

    async def write(self, lines: bytes) -> None:
        if self._store.broken:
            raise RecordingUnavailable("the store is broken")
        self._store.casts[self._id] += lines

    async def aclose(self) -> None:
        return None


class MemoryRecordingStore(RecordingStore):
    """Recordings in dicts; set ``broken`` to make every create and write fail."""

    def __init__(self) -> None:
        self.metas: dict[str, RecordingMeta] = {}
        self.casts: dict[str, bytearray] = {}
        self.broken = False

    async def create(self, meta: RecordingMeta) -> RecordingWriter:
        if self.broken:
            raise RecordingUnavailable("the store is broken")
        self.metas[meta.recording_id] = meta
        self.casts[meta.recording_id] = bytearray()
        return _MemoryWriter(self, meta.recording_id)

    async def meta(self, recording_id: str) -> RecordingMeta | None:
        return self.metas.get(recording_id)

    async def read(self, recording_id: str) -> bytes | None:
        cast = self.casts.get(recording_id)
        return None if cast is None else bytes(cast)
