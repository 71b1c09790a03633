"""Kubernetes requests through an agent tunnel: the hub's transport and the agent's relay.

The hub's ``TunnelTransport`` is a ``ClusterTransport`` like any other: each request
becomes one tunnel stream (OPEN with the request, DATA with its body), and the answer
comes back as HEAD, DATA and END. On the agent, ``relay`` makes the request with the
agent's own transport to its apiserver (its service account), so the hub never holds
cluster credentials: the agent drops any ``Authorization`` and forwarding header the
hub might send and keeps the ``Impersonate-*`` headers, which its RBAC then fences.
A WebSocket (exec) is one stream whose DATA frames are whole messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

import anyio
import msgspec

from periscope_core.domain.errors import (
    ApiError,
    ClusterUnreachable,
    PeriscopeError,
    UpstreamTimeout,
    api_error,
    decode_status,
)
from periscope_core.ports.transport import ChannelSocket, ClusterTransport, KubeRequest, KubeResponse
from periscope_core.protocols.tunnel import Head, Open
from periscope_core.services.tunnel import StreamClosed, TunnelSession, TunnelStream

__all__ = ["TunnelTransport", "relay"]

_TIMED_OUT = "timeout: "
_DROPPED = ("authorization", "proxy-authorization", "cookie", "host", "connection", "upgrade")


def _open(request: KubeRequest, subprotocols: Sequence[str] = ()) -> Open:
    return Open(
        method=request.method, path=request.path, query=list(request.query), headers=list(request.headers),
        timeout=request.timeout, subprotocols=list(subprotocols), has_body=request.body is not None,
    )  # fmt: skip


class _TunnelResponse(KubeResponse):
    def __init__(self, head: Head, stream: TunnelStream) -> None:
        self.status = head.status
        self.headers = {k.lower(): v for k, v in head.headers}
        self._stream = stream
        self._done = False

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        while not self._done:
            chunk = await self._stream.receive()
            if chunk is None:
                self._done = True
                return
            yield chunk

    async def aclose(self) -> None:
        if not self._done:
            self._done = True
            # An unfinished body (a watch the client stopped reading): the agent stops its request.
            with anyio.CancelScope(shield=True):
                try:
                    await self._stream.reset("the client closed the response")
                except ClusterUnreachable:
                    pass


class _TunnelChannel(ChannelSocket):
    def __init__(self, stream: TunnelStream, subprotocol: str) -> None:
        self.subprotocol = subprotocol
        self._stream = stream
        self._closed = False

    async def send(self, message: bytes) -> None:
        await self._stream.send(message)

    async def receive(self) -> bytes | None:
        try:
            return await self._stream.receive()
        except StreamClosed:
            return None

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            with anyio.CancelScope(shield=True):
                try:
                    await self._stream.end()
                except ClusterUnreachable:
                    pass


def _unreachable(exc: StreamClosed) -> PeriscopeError:
    marker = f"the stream was reset: {_TIMED_OUT}"
    if exc.reason.startswith(marker):
        return UpstreamTimeout(exc.reason.removeprefix(marker))
    return ClusterUnreachable(f"through the agent tunnel: {exc.reason}")


class TunnelTransport(ClusterTransport):
    """The hub's side: ``session()`` returns the cluster's live tunnel, or raises ClusterUnreachable."""

    def __init__(self, session: Callable[[], TunnelSession]) -> None:
        self._session = session

    async def send(self, request: KubeRequest) -> KubeResponse:
        stream = await self._session().request(_open(request), request.body)
        try:
            with anyio.fail_after(request.timeout) if request.timeout else _no_deadline():
                head = await stream.head()
        except TimeoutError as exc:
            await stream.reset("the hub stopped waiting")
            raise UpstreamTimeout(f"no response within {request.timeout} s") from exc
        except StreamClosed as exc:
            raise _unreachable(exc) from exc
        return _TunnelResponse(head, stream)

    async def websocket(self, request: KubeRequest, subprotocols: Sequence[str]) -> ChannelSocket:
        stream = await self._session().request(_open(request, subprotocols))
        try:
            head = await stream.head()
            if head.status == 101:
                return _TunnelChannel(stream, head.subprotocol)
            body = b""
            while (chunk := await stream.receive()) is not None:
                body += chunk
        except StreamClosed as exc:
            raise _unreachable(exc) from exc
        raise api_error(decode_status(body, head.status))

    async def aclose(self) -> None:
        return None  # the tunnel belongs to its listener, not to one transport


class _no_deadline:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


# -- the agent's side ----------------------------------------------------------------------


def _upstream_request(opening: Open, body: bytes | None) -> KubeRequest:
    headers = tuple((k, v) for k, v in opening.headers
                    if k.lower() not in _DROPPED and not k.lower().startswith("x-forwarded-"))  # fmt: skip
    return KubeRequest(method=opening.method, path=opening.path, query=tuple(opening.query), headers=headers,
                       body=body, timeout=opening.timeout)  # fmt: skip


async def relay(upstream: ClusterTransport, stream: TunnelStream, opening: Open) -> None:
    """Answer one stream the hub opened by making its request with ``upstream`` (the agent's own)."""
    body = None
    if opening.has_body and not opening.subprotocols:
        parts = []
        while (chunk := await stream.receive()) is not None:
            parts.append(chunk)
        body = b"".join(parts)
    request = _upstream_request(opening, body)
    try:
        if opening.subprotocols:
            await _relay_websocket(upstream, stream, request, opening.subprotocols)
        else:
            await _relay_http(upstream, stream, request)
    except UpstreamTimeout as exc:
        await stream.reset(_TIMED_OUT + exc.message)
    except ApiError as exc:  # a refused upgrade: the Status goes back as the answer
        await stream.send_head(Head(status=exc.status.code or 500, headers=[("content-type", "application/json")],
                                    stream=stream.id))  # fmt: skip
        await stream.send(msgspec.json.encode(exc.status.to_dict()))
        await stream.end()
    except ClusterUnreachable as exc:
        if stream.closed is None:
            await stream.reset(exc.message)


async def _relay_http(upstream: ClusterTransport, stream: TunnelStream, request: KubeRequest) -> None:
    async with await upstream.send(request) as response:
        await stream.send_head(Head(status=response.status, headers=sorted(response.headers.items()),
                                    stream=stream.id))  # fmt: skip
        async for chunk in response.aiter_bytes():
            await stream.send(chunk)
    await stream.end()


async def _relay_websocket(
    upstream: ClusterTransport, stream: TunnelStream, request: KubeRequest, subprotocols: Sequence[str]
) -> None:
    socket = await upstream.websocket(request, subprotocols)
    try:
        await stream.send_head(Head(status=101, subprotocol=socket.subprotocol, stream=stream.id))
        async with anyio.create_task_group() as tg:

            async def to_apiserver() -> None:
                while (message := await stream.receive()) is not None:
                    await socket.send(message)
                tg.cancel_scope.cancel()

            tg.start_soon(to_apiserver)
            while (message := await socket.receive()) is not None:
                await stream.send(message)
            tg.cancel_scope.cancel()
        await stream.end()
    finally:
        await socket.aclose()
