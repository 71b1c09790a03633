"""The recording store contract, for the in-memory fake and the file adapter."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from periscope_adapters.recordings import FileRecordingStore
from periscope_core.ports.recording import RecordingMeta, RecordingStore, RecordingUnavailable
from periscope_core.testing.contracts.recording import RecordingStoreContract
from periscope_core.testing.exec_fakes import MemoryRecordingStore


class TestMemoryStore(RecordingStoreContract):
    @pytest.fixture
    def store(self) -> RecordingStore:
        return MemoryRecordingStore()


class TestFileStore(RecordingStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> RecordingStore:
        return FileRecordingStore(tmp_path / "recordings")


def _meta(recording_id: str) -> RecordingMeta:
    return RecordingMeta(
        recording_id=recording_id, user="alice", cluster="prod", namespace="shop", pod="web-0", container="app",
        command=("bash",), started_at=datetime(2025, 5, 1, tzinfo=UTC),
    )  # fmt: skip


async def test_recordings_are_private_files(tmp_path: Path) -> None:
    store = FileRecordingStore(tmp_path / "recordings")
    writer = await store.create(_meta("s1"))
    await writer.write(b"line\n")
    await writer.aclose()
    assert stat.S_IMODE((tmp_path / "recordings").stat().st_mode) == 0o700
    for name in ("s1.cast", "s1.json"):
        assert stat.S_IMODE((tmp_path / "recordings" / name).stat().st_mode) == 0o600


async def test_a_path_in_the_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RecordingUnavailable):
        await FileRecordingStore(tmp_path).create(_meta("../escape"))
    assert [p async for p in anyio.Path(tmp_path).iterdir()] == []


async def test_an_unwritable_directory_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(RecordingUnavailable):
        await FileRecordingStore(tmp_path / "file" / "recordings").create(_meta("s1"))
