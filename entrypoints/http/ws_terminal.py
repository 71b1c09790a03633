"""The browser's exec WebSocket: who may open one, refusals before the upgrade, and the terminal port.

Cross-site WebSocket hijacking is stopped before the 101: the ``Origin`` must be this
server's own (scheme, host and port as the browser reached it) or match one of the
``PERISCOPE_DEV_ALLOW_ORIGINS`` patterns. ``Origin: null`` never passes. Browsers
always send an Origin on a WebSocket upgrade, so a request without one is a
non-browser client and passes only when it carries no cookie.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

import msgspec
from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect

from periscope_core.domain.errors import PeriscopeError
from periscope_core.ports.terminal import TerminalGone, TerminalPeer

__all__ = ["MAX_FRAME", "OriginRejected", "WebSocketTerminal", "deny", "origin_allowed"]

MAX_FRAME = 1 << 20
"""Bytes per browser frame; a larger one closes the socket with 1009."""
_MESSAGE_TOO_BIG = 1009
_GONE = (WebSocketDisconnect, OSError, RuntimeError)  # RuntimeError: the server already sent its close


class OriginRejected(PeriscopeError):
    code = "E_ORIGIN_REJECTED"
    http_status = 403

    def __init__(self) -> None:
        super().__init__("cross-origin WebSocket upgrades are refused: open the console from its own address")


def origin_allowed(
    origin: str | None, *, scheme: str, host: str, allowed: Sequence[str] = (), has_cookie: bool = False
) -> bool:
    """Whether a WebSocket upgrade with this ``Origin`` may proceed (see the module docstring)."""
    if origin is None:
        return not has_cookie
    own = f"{'https' if scheme in ('https', 'wss') else 'http'}://{host}".lower()
    candidate = origin.strip().lower()
    if candidate == "null" or not host:
        return False
    return candidate == own or any(fnmatchcase(candidate, pattern.lower()) for pattern in allowed)


async def deny(socket: WebSocket[Any, Any, Any], error: PeriscopeError) -> None:
    """Refuse the upgrade with the error's status and JSON body (a plain 403 where the server cannot)."""
    if socket.connection_state == "init":
        await socket.receive()
    if "websocket.http.response" not in (socket.scope.get("extensions") or {}):
        await socket.close(code=1008)
        return
    body = msgspec.json.encode(error.body())
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await socket.send({"type": "websocket.http.response.start", "status": error.http_status, "headers": headers})
    await socket.send({"type": "websocket.http.response.body", "body": body, "more_body": False})


class WebSocketTerminal(TerminalPeer):
    """An accepted Litestar WebSocket as the exec relay's browser end."""

    def __init__(self, socket: WebSocket[Any, Any, Any], *, max_frame: int = MAX_FRAME) -> None:
        self._socket = socket
        self._max_frame = max_frame
        self._closed = False

    async def receive(self) -> bytes | str | None:
        while not self._closed:
            try:
                message = await self._socket.receive()
            except _GONE:
                return None
            if message["type"] != "websocket.receive":
                self._closed = True
                return None
            data: bytes | str | None = message.get("bytes")
            if data is None:
                data = message.get("text")
            if data is None:
                continue
            if len(data) > self._max_frame:
                await self.close(_MESSAGE_TOO_BIG, f"frames are limited to {self._max_frame} bytes")
                return None
            return data
        return None

    async def send_bytes(self, data: bytes) -> None:
        await self._send({"type": "websocket.send", "bytes": data})

    async def send_text(self, text: str) -> None:
        await self._send({"type": "websocket.send", "text": text})

    async def _send(self, message: dict[str, Any]) -> None:
        if self._closed:
            raise TerminalGone("the browser's socket is closed")
        try:
            await self._socket.send(message)  # type: ignore[arg-type]
        except _GONE as exc:
            self._closed = True
            raise TerminalGone(str(exc)) from exc

    async def close(self, code: int, reason: str = "") -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._socket.close(code=code, reason=reason)
        except _GONE:
            pass
