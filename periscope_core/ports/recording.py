"""Where exec sessions are recorded (asciicast v2), and read back for replay.

A store hands out one writer per session. Writers may buffer; ``aclose`` makes the
recording complete and readable. Recording ids are the session ids, so an audit row's
``session_id`` links to its recording.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

import msgspec

__all__ = ["RecordingMeta", "RecordingStore", "RecordingUnavailable", "RecordingWriter"]


class RecordingUnavailable(Exception):
    """The recording cannot be written; the session goes on unrecorded."""


class RecordingMeta(msgspec.Struct, frozen=True, kw_only=True):
    """Who recorded what; kept beside the cast so access can be checked without reading it."""

    recording_id: str
    user: str
    cluster: str
    namespace: str
    pod: str
    container: str
    command: tuple[str, ...]
    started_at: datetime
    width: int = 80
    height: int = 24
    input_recorded: bool = False


class RecordingWriter(ABC):
    """Appends one session's asciicast lines."""

    @abstractmethod
    async def write(self, lines: bytes) -> None:
        """Append encoded lines. Raises RecordingUnavailable when they cannot be stored."""

    @abstractmethod
    async def aclose(self) -> None:
        """Flush and finish the recording; idempotent, never raises."""


class RecordingStore(ABC):
    @abstractmethod
    async def create(self, meta: RecordingMeta) -> RecordingWriter:
        """Start a recording. Raises RecordingUnavailable when it cannot be created."""

    @abstractmethod
    async def meta(self, recording_id: str) -> RecordingMeta | None:
        """A finished or running recording's metadata, or None when there is no such recording."""

    @abstractmethod
    async def read(self, recording_id: str) -> bytes | None:
        """The whole asciicast document written so far, or None when there is no such recording."""
