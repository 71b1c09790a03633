"""One session's recording: terminal events encoded as asciicast v2 and handed to a store.

A recording that cannot be written stops (with a warning) and the session goes on:
losing a recording must never cut an operator's shell. Keystrokes are written only
when the operator opted in (``record_input``); resizes always are.
"""

from __future__ import annotations

import logging
import shlex

from periscope_core.ports.recording import RecordingMeta, RecordingStore, RecordingUnavailable, RecordingWriter
from periscope_core.protocols.asciicast import AsciicastEncoder

__all__ = ["SessionRecorder"]

_log = logging.getLogger("periscope.exec")


class SessionRecorder:
    """Use ``SessionRecorder.start``; every method is a no-op once the recording failed."""

    def __init__(self, writer: RecordingWriter, meta: RecordingMeta, *, started: float) -> None:
        self._writer: RecordingWriter | None = writer
        self._meta = meta
        self._started = started
        self._encoder = AsciicastEncoder()

    @classmethod
    async def start(cls, store: RecordingStore, meta: RecordingMeta, *, started: float) -> SessionRecorder | None:
        """A recorder whose header is written, or None when the store refused the recording."""
        try:
            writer = await store.create(meta)
        except RecordingUnavailable as exc:
            _log.warning("exec.recording.unavailable session_id=%s: %s", meta.recording_id, exc)
            return None
        recorder = cls(writer, meta, started=started)
        title = f"{meta.cluster}/{meta.namespace}/{meta.pod}/{meta.container}"
        await recorder._write(recorder._encoder.header(
            width=meta.width, height=meta.height, timestamp=int(meta.started_at.timestamp()), title=title,
            command=shlex.join(meta.command), env={"TERM": "xterm-256color"},
        ))  # fmt: skip
        return recorder

    async def output(self, now: float, data: bytes) -> None:
        await self._write(self._encoder.output(now - self._started, data))

    async def input(self, now: float, data: bytes) -> None:
        if self._meta.input_recorded:
            await self._write(self._encoder.input(now - self._started, data))

    async def resize(self, now: float, cols: int, rows: int) -> None:
        await self._write(self._encoder.resize(now - self._started, cols, rows))

    async def aclose(self, now: float) -> None:
        await self._write(self._encoder.finish(now - self._started))
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer.aclose()

    async def _write(self, lines: bytes) -> None:
        if self._writer is None or not lines:
            return
        try:
            await self._writer.write(lines)
        except RecordingUnavailable as exc:
            _log.warning("exec.recording.failed session_id=%s: %s", self._meta.recording_id, exc)
            writer, self._writer = self._writer, None
            await writer.aclose()
