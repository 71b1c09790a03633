"""Request ids that sort by time: UUIDv7's layout, written as 32 hex digits.

The audit database indexes request ids; random ids dirty a different index page
for almost every row, while time-ordered ones append at the end of the index
(see the Audit section of docs/benchmarks.md).
"""

from __future__ import annotations

import secrets
import time

__all__ = ["time_ordered_id"]

_VERSION = 0x7 << 76
_VARIANT = 0b10 << 62


def time_ordered_id(unix_ms: int | None = None) -> str:
    """A 48-bit millisecond timestamp (now, unless given), the UUIDv7 version and variant, 74 random bits."""
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    rand_a, rand_b = secrets.randbits(12), secrets.randbits(62)
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | _VERSION | rand_a << 64 | _VARIANT | rand_b
    return f"{value:032x}"
