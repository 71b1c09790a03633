"""Exec recordings as files: ``<id>.cast`` (asciicast v2) beside ``<id>.json`` (who, where, when).

Terminal output can hold secrets, so the directory is private (0700) and every file
0600. Writes are buffered and go to disk off the event loop, a chunk at a time; a
running session's cast is readable up to its last flushed chunk. Ids are checked
against a strict pattern before they touch a path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import anyio.to_thread
import msgspec

from periscope_core.ports.recording import RecordingMeta, RecordingStore, RecordingUnavailable, RecordingWriter

__all__ = ["FileRecordingStore"]

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FLUSH_AT = 64 << 10


def _append(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | (os.O_EXCL if exclusive else 0)
    fd = os.open(path, flags, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


class _FileWriter(RecordingWriter):
    def __init__(self, path: Path) -> None:
        self._path = path
        self._buffer = bytearray()
        self._closed = False

    async def write(self, lines: bytes) -> None:
        self._buffer += lines
        if len(self._buffer) >= _FLUSH_AT:
            await self._flush()

    async def _flush(self) -> None:
        data, self._buffer = bytes(self._buffer), bytearray()
        try:
            await anyio.to_thread.run_sync(_append, self._path, data)
        except OSError as exc:
            raise RecordingUnavailable(f"{self._path}: {exc.strerror or exc}") from exc

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._flush()
        except RecordingUnavailable:
            pass  # the session is over; the loss was already logged by whoever wrote last


class FileRecordingStore(RecordingStore):
    """Recordings under ``directory`` (created on first use)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def _path(self, recording_id: str, suffix: str) -> Path | None:
        return self.directory / f"{recording_id}{suffix}" if _ID.match(recording_id) else None

    async def create(self, meta: RecordingMeta) -> RecordingWriter:
        cast, sidecar = self._path(meta.recording_id, ".cast"), self._path(meta.recording_id, ".json")
        if cast is None or sidecar is None:
            raise RecordingUnavailable(f"invalid recording id {meta.recording_id!r}")

        def prepare() -> None:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            _append(sidecar, msgspec.json.encode(meta), exclusive=True)

        try:
            await anyio.to_thread.run_sync(prepare)
        except OSError as exc:
            raise RecordingUnavailable(f"{self.directory}: {exc.strerror or exc}") from exc
        return _FileWriter(cast)

    async def meta(self, recording_id: str) -> RecordingMeta | None:
        path = self._path(recording_id, ".json")
        raw = None if path is None else await anyio.to_thread.run_sync(_read, path)
        if raw is None:
            return None
        try:
            return msgspec.json.decode(raw, type=RecordingMeta)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None

    async def read(self, recording_id: str) -> bytes | None:
        path = self._path(recording_id, ".cast")
        return None if path is None else await anyio.to_thread.run_sync(_read, path)
