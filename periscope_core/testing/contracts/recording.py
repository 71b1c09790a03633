"""The contract every RecordingStore adapter is held to.

Subclass ``RecordingStoreContract`` and provide a ``store`` fixture (an empty store).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from periscope_core.ports.recording import RecordingMeta, RecordingStore

__all__ = ["RecordingStoreContract"]


def _meta(recording_id: str = "a1b2c3", user: str = "alice") -> RecordingMeta:
    return RecordingMeta(
        recording_id=recording_id, user=user, cluster="prod", namespace="shop", pod="web-0", container="app",
        command=("bash",), started_at=datetime(2025, 5, 1, 12, 0, tzinfo=UTC), width=120, height=40,
    )  # fmt: skip


class RecordingStoreContract:
    async def test_a_closed_recording_reads_back_whole(self, store: RecordingStore) -> None:
        writer = await store.create(_meta())
        await writer.write(b'{"version": 2}\n')
        await writer.write(b'[0.5, "o", "hi"]\n')
        await writer.aclose()
        await writer.aclose()
        assert await store.read("a1b2c3") == b'{"version": 2}\n[0.5, "o", "hi"]\n'
        assert await store.meta("a1b2c3") == _meta()

    async def test_recordings_are_kept_apart(self, store: RecordingStore) -> None:
        for name in ("one", "two"):
            writer = await store.create(_meta(name, user=name))
            await writer.write(name.encode())
            await writer.aclose()
        assert await store.read("one") == b"one"
        meta = await store.meta("two")
        assert meta is not None
        assert meta.user == "two"

    @pytest.mark.parametrize("recording_id", ["missing", "../etc/passwd", ""])
    async def test_an_unknown_id_has_nothing(self, store: RecordingStore, recording_id: str) -> None:
        assert await store.meta(recording_id) is None
        assert await store.read(recording_id) is None
