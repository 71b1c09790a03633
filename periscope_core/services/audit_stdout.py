"""The always-on audit sink: one JSON line per event on stdout, for log shipping to a SIEM.

Lines keep the original product's keys (``msg=audit``, ``category=audit``,
``event=<verb>``, dotted ``actor.*`` keys, extra details flattened to the top
level) so existing log queries keep working.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

import anyio.to_thread
import msgspec

from periscope_core.domain.audit import AuditEvent
from periscope_core.ports.audit import AuditSink, SinkDetail

__all__ = ["StdoutAuditSink", "log_line"]

_encoder = msgspec.json.Encoder()


def log_line(event: AuditEvent) -> dict[str, Any]:
    """The event as the original's slog record; an extra key that collides is kept as ``extra.<key>``."""
    res = event.resource
    line: dict[str, Any] = {
        "time": event.timestamp,
        "level": "INFO",
        "msg": "audit",
        "category": "audit",
        "event": event.verb,
        "outcome": event.outcome,
        "actor.sub": event.actor.sub,
        "actor.email": event.actor.email,
        "actor.groups": list(event.actor.groups),
        "request_id": event.request_id,
        "cluster": event.cluster,
        "group": res.group,
        "version": res.version,
        "resource": res.resource,
        "namespace": res.namespace,
        "name": res.name,
        "reason": event.reason,
    }
    if event.route:
        line["route"] = event.route
    if event.impersonated.user:
        line["impersonated.user"] = event.impersonated.user
        line["impersonated.groups"] = list(event.impersonated.groups)
    for key, value in event.extra.items():
        line[f"extra.{key}" if key in line else key] = value
    return line


class StdoutAuditSink(AuditSink):
    """Writes to ``stream`` (default: the process's stdout at write time)."""

    name = "stdout"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def write_batch(self, events: Sequence[AuditEvent]) -> None:
        text = b"".join(_encoder.encode(log_line(e)) + b"\n" for e in events).decode()
        # A stalled log collector blocks the write; it must not block the event loop.
        await anyio.to_thread.run_sync(self._write, text)

    def _write(self, text: str) -> None:
        stream = self._stream or sys.stdout
        stream.write(text)
        stream.flush()

    def health(self) -> SinkDetail:
        return {"stream": "stdout" if self._stream is None else "custom"}
