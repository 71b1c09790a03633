"""A ClusterTransport over one kubernetes_asyncio ApiClient and its aiohttp pool.

The ApiClient is used for what it does well (TLS context, client certificates,
proxy settings and token refresh from a ``Configuration``); requests bypass its
generated models and its REST wrapper, which collapses repeated headers (one
``Impersonate-Group`` per group) and always reads the whole body. Every foreign
exception is translated here, so nothing from aiohttp reaches the core.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from urllib.parse import quote, urlencode

import aiohttp
import yarl
from kubernetes_asyncio.client import ApiClient, Configuration
from kubernetes_asyncio.config import ConfigException
from multidict import CIMultiDict

from periscope_core.domain.errors import ClusterUnreachable, UpstreamTimeout, api_error, decode_status
from periscope_core.ports.transport import ChannelSocket, ClusterTransport, KubeRequest, KubeResponse

__all__ = ["KubeAsyncioTransport"]

_USER_AGENT = "periscope (kubernetes_asyncio)"
# Watches and log follows stay open for hours: no overall deadline, only the
# per-request one for the response head (KubeRequest.timeout).
_NO_DEADLINE = aiohttp.ClientTimeout(total=None, sock_connect=30)


class _Refusal:
    """Where the trace hook leaves the body of a refused WebSocket upgrade."""

    def __init__(self) -> None:
        self.body = b""


# aiohttp drops the body of a non-101 answer before raising; the trace hook runs in
# the caller's task, so a context variable carries the body back out.
_refusal: ContextVar[_Refusal | None] = ContextVar("periscope_ws_refusal", default=None)


async def _keep_refusal_body(
    session: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
) -> None:
    holder = _refusal.get()
    if holder is not None and params.response.status != 101:
        holder.body = await params.response.read()


@contextmanager
def _translated(target: str) -> Iterator[None]:
    """Map client-library failures to the core's errors, keeping the cause."""
    try:
        yield
    except TimeoutError as exc:  # includes aiohttp's ServerTimeoutError
        raise UpstreamTimeout(f"{target}: timed out") from exc
    except (aiohttp.ClientError, OSError) as exc:  # ssl.SSLError is an OSError
        raise ClusterUnreachable(f"{target}: {str(exc) or type(exc).__name__}") from exc


class _StreamingResponse(KubeResponse):
    def __init__(self, response: aiohttp.ClientResponse, target: str) -> None:
        self._response = response
        self._target = target
        self.status = response.status
        headers: dict[str, str] = {}
        for name, value in response.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        self.headers = headers

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        with _translated(self._target):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # An unfinished body (a watch) closes the connection; a finished one is pooled.
        self._response.release()


class _WebSocket(ChannelSocket):
    def __init__(self, ws: aiohttp.ClientWebSocketResponse, subprotocol: str, target: str) -> None:
        self._ws = ws
        self._target = target
        self.subprotocol = subprotocol

    async def send(self, message: bytes) -> None:
        if self._ws.closed:
            raise ClusterUnreachable(f"{self._target}: the WebSocket is closed")
        with _translated(self._target):
            await self._ws.send_bytes(message)

    async def receive(self) -> bytes | None:
        with _translated(self._target):
            while True:
                msg = await self._ws.receive()
                if msg.type is aiohttp.WSMsgType.BINARY:
                    return bytes(msg.data)
                if msg.type is aiohttp.WSMsgType.TEXT:
                    return str(msg.data).encode()
                if msg.type is aiohttp.WSMsgType.ERROR:
                    raise ClusterUnreachable(f"{self._target}: {self._ws.exception()}")
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                    return None

    async def aclose(self) -> None:
        with _translated(self._target):
            await self._ws.close()


class KubeAsyncioTransport(ClusterTransport):
    """One cluster through one ApiClient: a single connection pool for its lifetime.

    Build it inside the running event loop. Authentication comes from the
    configuration on every request, so a ``refresh_api_key_hook`` (exec plugins,
    rotating service-account tokens) is honoured without rebuilding anything.
    """

    def __init__(self, configuration: Configuration) -> None:
        self._config = configuration
        self._base = str(configuration.host).rstrip("/")
        self._api = ApiClient(configuration)
        rest = self._api.rest_client
        self._session: aiohttp.ClientSession = rest.pool_manager
        self._server_hostname: str | None = rest.server_hostname or None
        self._proxy: str | None = rest.proxy or None
        self._proxy_headers: dict[str, str] | None = rest.proxy_headers or None
        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(_keep_refusal_body)
        # A sibling session on the same connector, so WebSockets share the pool and TLS context.
        self._ws_session = aiohttp.ClientSession(
            connector=self._session.connector,
            connector_owner=False,
            trust_env=True,
            timeout=_NO_DEADLINE,
            trace_configs=[trace],
        )

    def _url(self, request: KubeRequest) -> yarl.URL:
        url = self._base + request.path
        if request.query:
            url += "?" + urlencode(request.query, quote_via=quote)
        return yarl.URL(url, encoded=True)

    async def _headers(self, request: KubeRequest, target: str) -> CIMultiDict[str]:
        headers: CIMultiDict[str] = CIMultiDict(request.headers)
        headers.setdefault("User-Agent", _USER_AGENT)
        try:
            auth = await self._config.auth_settings()
        except (ConfigException, OSError, ValueError) as exc:
            raise ClusterUnreachable(f"{target}: could not obtain credentials: {exc}") from exc
        token = auth.get("BearerToken", {}).get("value")
        if token:
            headers["Authorization"] = str(token)
        return headers

    async def send(self, request: KubeRequest) -> KubeResponse:
        target = f"{request.method} {self._base}{request.path}"
        headers = await self._headers(request, target)
        with _translated(target):
            async with asyncio.timeout(request.timeout):
                response = await self._session.request(
                    request.method,
                    self._url(request),
                    headers=headers,
                    data=request.body,
                    timeout=_NO_DEADLINE,
                    server_hostname=self._server_hostname,
                    proxy=self._proxy,
                    proxy_headers=self._proxy_headers,
                    allow_redirects=False,
                )
        return _StreamingResponse(response, target)

    async def websocket(self, request: KubeRequest, subprotocols: Sequence[str]) -> ChannelSocket:
        target = f"{request.method} {self._base}{request.path} (websocket)"
        headers = await self._headers(request, target)
        refusal = _Refusal()
        token = _refusal.set(refusal)
        try:
            with _translated(target):
                async with asyncio.timeout(request.timeout):
                    ws = await self._ws_session.ws_connect(
                        self._url(request),
                        method=request.method,
                        protocols=tuple(subprotocols),
                        headers=headers,
                        server_hostname=self._server_hostname,
                        proxy=self._proxy,
                        proxy_headers=self._proxy_headers,
                    )
        except ClusterUnreachable as exc:
            handshake = exc.__cause__
            if isinstance(handshake, aiohttp.WSServerHandshakeError) and handshake.status >= 400:
                raise api_error(decode_status(refusal.body, handshake.status)) from handshake
            raise
        finally:
            _refusal.reset(token)
        if ws.protocol is None:
            await ws.close()
            raise ClusterUnreachable(f"{target}: the apiserver accepted none of {', '.join(subprotocols)}")
        return _WebSocket(ws, ws.protocol, target)

    async def aclose(self) -> None:
        await self._ws_session.close()
        await self._api.close()
