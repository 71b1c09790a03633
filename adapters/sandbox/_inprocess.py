"""A ClusterTransport that calls a sandbox ApiServer directly, with no socket in between.

Like httpx's ASGI transport: requests are handed to the engine as they would arrive over
HTTP, responses (streams included) come back as KubeResponses, and exec runs the same
session as the WebSocket server does, over an in-memory pair of message streams. It
authenticates as one fixed user, the way a kubeconfig transport authenticates as its
bridge identity; Impersonate-* headers travel through untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from periscope_adapters.sandbox._exec import serve_session
from periscope_adapters.sandbox._rbac import UserInfo
from periscope_adapters.sandbox._server import negotiate_subprotocol
from periscope_adapters.sandbox._wire import SandboxRequest, SandboxResponse
from periscope_core.domain.errors import (
    BadRequest,
    ClusterUnreachable,
    Status,
    UpstreamTimeout,
    api_error,
    decode_status,
)
from periscope_core.ports.transport import ChannelSocket, ClusterTransport, KubeRequest, KubeResponse

if TYPE_CHECKING:
    from periscope_adapters.sandbox._engine import ApiServer

__all__ = ["InProcessTransport"]

_SOCKET_BUFFER = 64


class _EngineResponse(KubeResponse):
    def __init__(self, response: SandboxResponse) -> None:
        self.status = response.status
        headers: dict[str, str] = {}
        for key, value in response.headers:
            name = key.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.headers = headers
        self._response = response
        self._closed = False

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        if self._response.body:
            yield self._response.body
        if self._response.stream is not None:
            async for chunk in self._response.stream:
                yield chunk

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        aclose = getattr(self._response.stream, "aclose", None)
        if aclose is not None:
            await aclose()


class _MemorySocket(ChannelSocket):
    """The client end of an in-memory exec session."""

    def __init__(
        self,
        subprotocol: str,
        outgoing: MemoryObjectSendStream[bytes],
        incoming: MemoryObjectReceiveStream[bytes],
        task: asyncio.Task[None],
    ) -> None:
        self.subprotocol = subprotocol
        self._out, self._in, self._task = outgoing, incoming, task

    async def send(self, message: bytes) -> None:
        try:
            await self._out.send(message)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            raise ClusterUnreachable("the exec session has ended") from exc

    async def receive(self) -> bytes | None:
        try:
            return await self._in.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return None

    async def aclose(self) -> None:
        self._out.close()
        self._in.close()
        if not self._task.done():
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


class _ServerPipe:
    """The session's end: messages from the client, and back."""

    def __init__(
        self, incoming: MemoryObjectReceiveStream[bytes], outgoing: MemoryObjectSendStream[bytes]
    ) -> None:
        self._in, self._out = incoming, outgoing

    async def send(self, message: bytes) -> None:
        try:
            await self._out.send(message)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            raise ConnectionResetError("the client closed the exec socket") from exc

    async def receive(self) -> bytes | None:
        try:
            return await self._in.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return None


class InProcessTransport(ClusterTransport):
    """Reach ``api`` in-process, authenticated as ``user``."""

    def __init__(self, api: ApiServer, user: UserInfo) -> None:
        self.api = api
        self.user = user
        self._sessions: set[asyncio.Task[None]] = set()
        self._closed = False

    def _request(self, request: KubeRequest) -> SandboxRequest:
        headers: dict[str, list[str]] = {}
        for key, value in request.headers:
            headers.setdefault(key.lower(), []).append(value)
        return SandboxRequest(
            method=request.method,
            path=request.path,
            query=list(request.query),
            headers=headers,
            body=request.body or b"",
            user=self.user,
        )

    def _check_open(self) -> None:
        if self._closed:
            raise ClusterUnreachable("the in-process transport is closed")

    async def send(self, request: KubeRequest) -> KubeResponse:
        self._check_open()
        sandbox_request = self._request(request)
        if request.timeout is None:
            return _EngineResponse(await self.api.handle(sandbox_request))
        try:
            with anyio.fail_after(request.timeout):
                return _EngineResponse(await self.api.handle(sandbox_request))
        except TimeoutError as exc:
            raise UpstreamTimeout(f"no response within {request.timeout} s") from exc

    async def websocket(self, request: KubeRequest, subprotocols: Sequence[str]) -> ChannelSocket:
        self._check_open()
        sandbox_request = self._request(KubeRequest("GET", request.path, request.query, request.headers))
        target = await self.api.intercept(sandbox_request) or self.api.authorize_exec(sandbox_request)
        if isinstance(target, SandboxResponse):
            raise api_error(decode_status(target.body, target.status))
        chosen = negotiate_subprotocol(list(subprotocols))
        if chosen is None:
            message = f"none of the offered subprotocols {list(subprotocols)} is supported"
            raise BadRequest(Status(message=message, reason="BadRequest", code=400))
        to_server, from_client = anyio.create_memory_object_stream[bytes](_SOCKET_BUFFER)
        to_client, from_server = anyio.create_memory_object_stream[bytes](_SOCKET_BUFFER)
        pipe = _ServerPipe(from_client, to_client)
        attach = request.path.endswith("/attach")

        async def serve() -> None:
            async with to_client, from_client:
                try:
                    await serve_session(pipe, self.api, target, subprotocol=chosen, attach=attach)
                except ConnectionResetError:
                    pass

        task = asyncio.ensure_future(serve())
        self._sessions.add(task)
        task.add_done_callback(self._sessions.discard)
        return _MemorySocket(chosen, to_server, from_server, task)

    async def aclose(self) -> None:
        self._closed = True
        sessions = list(self._sessions)
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
