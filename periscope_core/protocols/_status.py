"""The fields of metav1.Status that the codecs read (watch ERROR events, exec status)."""

from __future__ import annotations

from typing import Any

import msgspec

from periscope_core.protocols.errors import RemoteProtocolError


class StatusCause(msgspec.Struct, frozen=True):
    reason: str = ""
    message: str = ""


class StatusDetails(msgspec.Struct, frozen=True):
    causes: tuple[StatusCause, ...] = ()


class Status(msgspec.Struct, frozen=True):
    status: str = ""
    message: str = ""
    reason: str = ""
    code: int = 0
    details: StatusDetails | None = None


def parse_status(obj: dict[str, Any]) -> Status:
    """Read a decoded Status, ignoring fields the codecs do not need."""
    try:
        return msgspec.convert(obj, Status)
    except msgspec.ValidationError as exc:
        raise RemoteProtocolError(f"malformed Status: {exc}") from exc
