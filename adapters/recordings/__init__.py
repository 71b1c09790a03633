"""Where exec session recordings are kept: files on local disk (one cast and one metadata file each)."""

from periscope_adapters.recordings.files import FileRecordingStore

__all__ = ["FileRecordingStore"]
