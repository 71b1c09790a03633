"""Long-lived streams end when their caller's session does.

A live list can stay open for hours; the session behind it may be signed out, revoked
at the identity provider or timed out meanwhile. The stream re-checks the session at
most once per interval, whenever a frame (or the periodic ping) goes out, and ends
with ``auth_expired`` once it is gone, so the browser asks the user to sign in again.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

from litestar.types import Scope

from periscope_core.services.sse_feed import sse_frame
from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.session_gate import still_signed_in

__all__ = ["sse_while_signed_in", "while_signed_in"]


def sse_while_signed_in(
    services: Services, scope: Scope, frames: AsyncIterator[bytes], *, on_expired: Callable[[], None]
) -> AsyncIterator[bytes]:
    """An SSE stream of the request in ``scope`` that ends with an ``auth_expired`` event after sign-out."""
    return while_signed_in(
        frames,
        signed_in=lambda: still_signed_in(services, scope),
        expired_frame=sse_frame("auth_expired", {}),
        on_expired=on_expired,
        interval=services.settings.stream_recheck_seconds,
    )


async def while_signed_in(
    frames: AsyncIterator[bytes],
    *,
    signed_in: Callable[[], Awaitable[bool]],
    expired_frame: bytes,
    on_expired: Callable[[], None],
    interval: float,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[bytes]:
    """Pass ``frames`` through; once ``signed_in()`` says no, send ``expired_frame`` and stop."""
    checked = clock()
    async for frame in frames:
        yield frame
        if clock() - checked < interval:
            continue
        checked = clock()
        if not await signed_in():
            on_expired()
            yield expired_frame
            return
