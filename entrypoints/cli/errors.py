"""CLI-only errors."""

from __future__ import annotations

from periscope_core.domain.errors import InvalidRequest


class UsageError(InvalidRequest):
    """The command line asks for something that cannot work (exit status 2)."""
