"""Log lines as the kubelet sends them with ``timestamps=true``, and what we do to each one.

Every line is requested with its RFC 3339 timestamp: it orders lines from several pods,
lets a re-opened stream skip what was already delivered, and is shown (or not) by the
client. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from periscope_core.domain.errors import InvalidRequest

__all__ = [
    "LogOptions",
    "ResumePoint",
    "compile_filter",
    "label_selector",
    "parse_line",
]

_MAX_PATTERN = 1024


class LogOptions(msgspec.Struct, frozen=True, kw_only=True):
    """What the client asked for; ``grep`` keeps only matching lines (a regex when ``regex``)."""

    container: str = ""
    follow: bool = True
    previous: bool = False
    tail_lines: int | None = None
    since_seconds: int | None = None
    timestamps: bool = True
    """Only changes the plain-text download; SSE lines always carry ``t``."""
    grep: str = ""
    regex: bool = False
    ignore_case: bool = False


def compile_filter(options: LogOptions) -> Callable[[str], bool] | None:
    """The line predicate for ``grep``; None keeps every line. InvalidRequest for a bad pattern."""
    if not options.grep:
        return None
    if len(options.grep) > _MAX_PATTERN:
        raise InvalidRequest(f"the filter is longer than {_MAX_PATTERN} characters")
    if options.regex:
        try:
            pattern = re.compile(options.grep, re.IGNORECASE if options.ignore_case else 0)
        except re.error as exc:
            raise InvalidRequest(f"invalid filter regex: {exc}") from exc
        return lambda text: pattern.search(text) is not None
    if options.ignore_case:
        needle = options.grep.casefold()
        return lambda text: needle in text.casefold()
    needle = options.grep
    return lambda text: needle in text


def parse_line(raw: bytes) -> tuple[str, datetime | None, str]:
    """Split ``<RFC3339> <text>``: the timestamp as sent, parsed, and the text.

    A line without a readable timestamp keeps all its bytes as text.
    """
    stamp, sep, rest = raw.partition(b" ")
    if sep and b"T" in stamp:
        try:
            text_stamp = stamp.decode("ascii")
            return text_stamp, datetime.fromisoformat(text_stamp).astimezone(UTC), rest.decode("utf-8", "replace")
        except (UnicodeDecodeError, ValueError):
            pass
    return "", None, raw.decode("utf-8", "replace")


class ResumePoint:
    """Where a pod's log was up to, so a re-opened stream delivers each line once.

    The kubelet cannot resume by offset, only by time (``sinceSeconds``), so a re-open
    asks for a little more than needed and skips lines up to the last one delivered:
    those older than its timestamp, and those with the same timestamp and text.
    """

    __slots__ = ("_at", "_baseline", "_skipping", "_texts")

    def __init__(self) -> None:
        self._at: datetime | None = None
        self._texts: set[str] = set()
        self._baseline: tuple[datetime, frozenset[str]] | None = None
        self._skipping = False

    @property
    def at(self) -> datetime | None:
        return self._at

    def reopened(self) -> None:
        """A new stream starts: skip what the last one already delivered."""
        if self._at is not None:
            self._baseline = (self._at, frozenset(self._texts))
            self._skipping = True

    def fresh(self, at: datetime | None, text: str) -> bool:
        """Record a line; False if an earlier stream already delivered it."""
        if self._skipping and at is not None and self._baseline is not None:
            base_at, base_texts = self._baseline
            if at < base_at or (at == base_at and text in base_texts):
                return False
            self._skipping = False
        if at is not None:
            if self._at is None or at > self._at:
                self._at, self._texts = at, {text}
            elif at == self._at:
                self._texts.add(text)
        return True

    def since_seconds(self, now: datetime, *, margin: int = 10) -> int | None:
        """``sinceSeconds`` for a re-open: back to the last line, plus a margin for clock skew."""
        if self._at is None:
            return None
        return max(1, int((now - self._at).total_seconds()) + margin)


def label_selector(selector: dict[str, Any]) -> str:
    """A LabelSelector object as the ``labelSelector`` query string."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            raise InvalidRequest(f"unsupported selector operator {op!r}")
    return ",".join(parts)
