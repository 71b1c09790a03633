"""What every live stream shares: SSE frames, headers, a bounded mailbox.

A frame is a complete, already-encoded SSE event. Fan-out code encodes a frame once
and hands the same ``bytes`` object to every mailbox, so delivering to N clients
costs N appends, not N encodings.
"""

from __future__ import annotations

from collections import deque
from typing import Literal, Protocol

import anyio
import msgspec

from periscope_core.protocols.sse import encode_comment, encode_event
from periscope_core.services.kube import KubeClient

__all__ = [
    "PING",
    "SHUTDOWN_RETRY_MS",
    "SSE_HEADERS",
    "SSE_MEDIA_TYPE",
    "ClientSource",
    "EndReason",
    "Mailbox",
    "sse_frame",
]

SSE_MEDIA_TYPE = "text/event-stream"
SSE_HEADERS: dict[str, str] = {
    "Cache-Control": "no-cache, no-transform",
    # nginx (and ingress-nginx) buffer proxied responses unless told not to.
    "X-Accel-Buffering": "no",
}
PING = encode_comment("ping")
SHUTDOWN_RETRY_MS = 3000
"""The reconnection delay ``server_shutdown`` asks for: long enough for a restart to come up."""

EndReason = Literal["client_gone", "backpressure", "server_shutdown", "auth_expired", "error", "done"]
"""Why a stream ended: ``client_gone`` when the consumer stopped reading; the others
match the last event the client was sent."""

_encoder = msgspec.json.Encoder()


class ClientSource(Protocol):
    """Where a live service gets a cluster's client (``ClusterDirectory`` is one)."""

    async def client(self, name: str) -> KubeClient: ...


def sse_frame(event: str | None, payload: object, *, id: str | None = None, retry: int | None = None) -> bytes:
    """One event with ``payload`` as its JSON data (msgspec JSON never holds a raw newline)."""
    return encode_event(data=_encoder.encode(payload).decode(), event=event, id=id or None, retry=retry)


class Mailbox:
    """A bounded queue of frames for one consumer; the producer never waits.

    ``put`` refuses a frame when the mailbox is full, and ``finish`` replaces whatever
    is still queued with one last frame: a client that fell behind gets told so
    rather than holding memory (or the producer) hostage.
    """

    __slots__ = ("_closed", "_frames", "_limit", "_waiter")

    def __init__(self, limit: int) -> None:
        self._frames: deque[bytes] = deque()
        self._limit = limit
        self._waiter: anyio.Event | None = None
        self._closed = False

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, frame: bytes, *, wake: bool = True) -> bool:
        """Queue ``frame``; False when the mailbox is full (the frame was not queued).

        With ``wake=False`` the consumer is not woken yet: a producer sending many
        frames in a burst calls ``wake()`` once afterwards (one socket write per burst).
        """
        if self._closed:
            return True
        if len(self._frames) >= self._limit:
            return False
        self._frames.append(frame)
        if wake:
            self.wake()
        return True

    def wake(self) -> None:
        """Let a waiting consumer take what is queued."""
        if self._waiter is not None and self._frames:
            self._waiter.set()
            self._waiter = None

    def put_many(self, frames: list[bytes]) -> bool:
        return all(self.put(frame) for frame in frames)

    def finish(self, frame: bytes | None, *, keep_queued: bool = False) -> None:
        """Close the mailbox; ``frame`` (if any) is the last thing the consumer reads."""
        if self._closed:
            return
        if not keep_queued:
            self._frames.clear()
        if frame is not None:
            self._frames.append(frame)
        self._closed = True
        if self._waiter is not None:
            self._waiter.set()
            self._waiter = None

    async def take(self) -> bytes | None:
        """Everything queued, as one chunk (one socket write); None once closed and drained."""
        while not self._frames:
            if self._closed:
                return None
            waiter = self._waiter = anyio.Event()
            await waiter.wait()
        frames = self._frames
        chunk = frames[0] if len(frames) == 1 else b"".join(frames)
        frames.clear()
        return chunk
