"""The sandbox apiserver on a real socket: HTTP/1.1 (TLS or plain) and exec WebSockets.

Authentication happens here, as in kube-apiserver's front filters: a verified client
certificate (CN user, O groups), else a bearer token from the token table, else the
anonymous identity. A bad token is 401; an anonymous request the authorizer refuses is
401 too, since a client that sent no credentials needs to log in, not more rights.
Everything else is the engine's: each request becomes a SandboxRequest, raw path and
all, and its SandboxResponse is written back, streams flushed chunk by chunk. Handlers
are cancelled when their client disconnects, which closes the engine's stream at once;
``aclose`` ends every open stream and exec session before it stops listening.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import msgspec
from aiohttp import WSMsgType, web
from multidict import CIMultiDict

from periscope_adapters.sandbox._certs import CertificateAuthority
from periscope_adapters.sandbox._exec import serve_session
from periscope_adapters.sandbox._rbac import (
    ANONYMOUS,
    AUTHENTICATED,
    UNAUTHENTICATED,
    UserInfo,
    unauthorized_status,
)
from periscope_adapters.sandbox._status import status
from periscope_adapters.sandbox._wire import SandboxRequest, SandboxResponse
from periscope_core.protocols import SUBPROTOCOLS

if TYPE_CHECKING:
    from periscope_adapters.sandbox._engine import ApiServer

__all__ = ["SandboxServer", "negotiate_subprotocol"]

_EXEC_PATH = re.compile(r"^/api/v1/namespaces/[^/]+/pods/[^/]+/(exec|attach)$")
_MAX_BODY = 3 << 20  # kube-apiserver's request size limit
_MAX_WS_MESSAGE = 1 << 20
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
_ANONYMOUS = UserInfo(name=ANONYMOUS, groups=(UNAUTHENTICATED,))


def negotiate_subprotocol(offered: list[str]) -> str | None:
    """The server's pick among the client's offer: v5 first, then v4."""
    return next((p for p in SUBPROTOCOLS if p in offered), None)


def _json(code: int, body: Mapping[str, Any]) -> web.Response:
    return web.Response(status=code, body=msgspec.json.encode(body), content_type="application/json")


def _peer_identity(request: web.BaseRequest) -> UserInfo | None:
    """The user a verified client certificate names, if one was presented."""
    transport = request.transport
    cert = transport.get_extra_info("peercert") if transport is not None else None
    if not cert:
        return None
    names = [dict(rdn) for rdn in cert.get("subject", ())]
    user = next((n["commonName"] for n in names if "commonName" in n), "")
    groups = tuple(n["organizationName"] for n in names if "organizationName" in n)
    return UserInfo(name=user, groups=(*groups, AUTHENTICATED)) if user else None


class _SocketPipe:
    """An aiohttp WebSocket seen as a pipe of binary messages."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws

    async def send(self, message: bytes) -> None:
        await self._ws.send_bytes(message)

    async def receive(self) -> bytes | None:
        while True:
            msg = await self._ws.receive()
            if msg.type == WSMsgType.BINARY:
                return bytes(msg.data)
            if msg.type != WSMsgType.TEXT:  # close, error: the peer is gone
                return None


class SandboxServer:
    """Serve one ApiServer on ``host:port``; use as ``async with``."""

    def __init__(
        self,
        api: ApiServer,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = True,
        certs: CertificateAuthority | None = None,
        tokens: Mapping[str, UserInfo] | None = None,
    ) -> None:
        if tls and certs is None:
            raise ValueError("a TLS server needs certs")
        self.api = api
        self.tokens: dict[str, UserInfo] = dict(tokens or {})
        """Bearer token -> user; may be changed while serving."""
        self.token_webhook: Callable[[str], Awaitable[UserInfo | None]] | None = None
        """Asked about bearer tokens the table does not know (an apiserver's token webhook); may be set
        while serving."""
        self._host, self._port, self._tls, self._certs = host, port, tls, certs
        self._runner: web.ServerRunner | None = None
        self._long_lived: set[anyio.CancelScope] = set()

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the server is not started")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{'https' if self._tls else 'http'}://{host}:{self._port}"

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        self._port = sock.getsockname()[1]
        server = web.Server(self._handle, handler_cancellation=True)
        self._runner = web.ServerRunner(server, shutdown_timeout=1.0)
        await self._runner.setup()
        ssl_context = self._certs.server_ssl_context() if self._tls and self._certs else None
        await web.SockSite(self._runner, sock, ssl_context=ssl_context).start()

    async def aclose(self) -> None:
        """Stop listening; open watches, log follows and exec sessions end at once."""
        runner, self._runner = self._runner, None
        for scope in list(self._long_lived):
            scope.cancel()
        if runner is not None:
            await runner.cleanup()

    @contextmanager
    def _interruptible(self) -> Iterator[None]:
        """A scope for a long-lived response that ``aclose`` may cut short."""
        with anyio.CancelScope() as scope:
            self._long_lived.add(scope)
            try:
                yield
            finally:
                self._long_lived.discard(scope)

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- requests ---------------------------------------------------------------

    async def _authenticate(self, request: web.BaseRequest) -> UserInfo | None:
        """The requester, or None when the credentials presented are not valid."""
        user = _peer_identity(request)
        if user is not None:
            return user
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _ANONYMOUS
        known = self.tokens.get(token.strip())
        if known is None and self.token_webhook is not None:
            known = await self.token_webhook(token.strip())
        if known is None:
            return None
        groups = known.groups if AUTHENTICATED in known.groups else (*known.groups, AUTHENTICATED)
        return UserInfo(name=known.name, groups=groups, uid=known.uid, extra=known.extra)

    async def _read_body(self, request: web.BaseRequest) -> bytes | None:
        body = bytearray()
        async for chunk in request.content.iter_any():
            body += chunk
            if len(body) > _MAX_BODY:
                return None
        return bytes(body)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        user = await self._authenticate(request)
        if user is None:
            return _json(401, unauthorized_status())
        body = await self._read_body(request)
        if body is None:
            message = f"Request entity too large: limit is {_MAX_BODY}"
            return _json(413, status(413, message, reason="RequestEntityTooLarge"))
        headers: dict[str, list[str]] = {}
        for key, value in request.headers.items():
            headers.setdefault(key.lower(), []).append(value)
        sandbox_request = SandboxRequest(
            method=request.method,
            path=request.rel_url.raw_path,
            query=list(request.rel_url.query.items()),
            headers=headers,
            body=body,
            user=user,
        )
        if _EXEC_PATH.match(sandbox_request.path):
            return await self._exec(request, sandbox_request)
        return await self._write(request, await self.api.handle(sandbox_request), user)

    async def _write(
        self, request: web.BaseRequest, response: SandboxResponse, user: UserInfo
    ) -> web.StreamResponse:
        if response.status == 403 and user is _ANONYMOUS:
            await _close_stream(response.stream)
            return _json(401, unauthorized_status())
        headers = CIMultiDict((k, v) for k, v in response.headers if k.lower() not in _HOP_HEADERS)
        if response.stream is None:
            return web.Response(status=response.status, headers=headers, body=response.body)
        out = web.StreamResponse(status=response.status, headers=headers)
        try:
            await out.prepare(request)
            with self._interruptible():
                if response.body:
                    await out.write(response.body)
                async for chunk in response.stream:
                    await out.write(chunk)
            await out.write_eof()
        except ConnectionError:
            pass  # the client went away mid-stream; nothing left to tell it
        finally:
            await _close_stream(response.stream)
        return out

    async def _exec(self, request: web.BaseRequest, sandbox_request: SandboxRequest) -> web.StreamResponse:
        if (failed := await self.api.intercept(sandbox_request)) is not None:
            return await self._write(request, failed, sandbox_request.user)
        target = self.api.authorize_exec(sandbox_request)
        if isinstance(target, SandboxResponse):
            return await self._write(request, target, sandbox_request.user)
        if request.headers.get("Upgrade", "").lower() != "websocket":
            message = "Upgrade request required: this server speaks the WebSocket exec protocols only"
            return _json(400, status(400, message))
        header = request.headers.get("Sec-WebSocket-Protocol", "")
        offered = [p.strip() for p in header.split(",") if p.strip()]
        refused = self.api.faults.refused_subprotocol(offered)
        if refused is not None:
            return _json(400, status(400, f"unable to upgrade: {refused} is refused (injected fault)"))
        chosen = negotiate_subprotocol(offered)
        if chosen is None:
            message = f"unable to upgrade: none of the subprotocols {offered} is one of {list(SUBPROTOCOLS)}"
            return _json(400, status(400, message))
        ws = web.WebSocketResponse(protocols=(chosen,), max_msg_size=_MAX_WS_MESSAGE)
        await ws.prepare(request)
        try:
            attach = sandbox_request.path.endswith("/attach")
            with self._interruptible():
                await serve_session(_SocketPipe(ws), self.api, target, subprotocol=chosen, attach=attach)
        except ConnectionError:
            pass
        finally:
            await ws.close()
        return ws


async def _close_stream(stream: AsyncIterator[bytes] | None) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
