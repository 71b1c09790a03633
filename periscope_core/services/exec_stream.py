"""A running exec session, spoken in the Kubernetes channel protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec

from periscope_core.ports.transport import ChannelSocket
from periscope_core.protocols.k8s_channel import (
    SUBPROTOCOLS,
    ChannelCodec,
    ChannelEvent,
    CloseChannel,
    Exited,
    Failed,
    Resize,
    Stderr,
    Stdin,
    Stdout,
)


class ExecResult(msgspec.Struct, frozen=True):
    stdout: bytes
    stderr: bytes
    exit_code: int
    failure: str = ""
    """The apiserver's message when the command could not run at all."""


class ExecStream:
    """One exec WebSocket with its codec; the caller owns it and must ``aclose`` it."""

    SUBPROTOCOLS = SUBPROTOCOLS

    def __init__(self, socket: ChannelSocket) -> None:
        self.socket = socket
        self.subprotocol = socket.subprotocol
        self._codec = ChannelCodec(socket.subprotocol, role="client")

    async def send_stdin(self, data: bytes) -> None:
        await self.socket.send(self._codec.send(Stdin(data)))

    async def resize(self, width: int, height: int) -> None:
        await self.socket.send(self._codec.send(Resize(width=width, height=height)))

    @property
    def can_close_stdin(self) -> bool:
        """Only v5 can half-close stdin; under v4 the session must end another way."""
        return self.subprotocol == SUBPROTOCOLS[0]

    async def close_stdin(self) -> None:
        await self.socket.send(self._codec.send(CloseChannel(channel=0)))

    async def events(self) -> AsyncIterator[ChannelEvent]:
        """Decoded messages from the container until the socket closes."""
        while (message := await self.socket.receive()) is not None:
            yield self._codec.receive_message(message)

    async def run(self, stdin: bytes = b"") -> ExecResult:
        """Feed ``stdin``, collect all output and the exit status."""
        if stdin:
            await self.send_stdin(stdin)
        if self.can_close_stdin:
            await self.close_stdin()
        out: list[bytes] = []
        err: list[bytes] = []
        code = -1
        failure = ""
        try:
            async for event in self.events():
                if isinstance(event, Stdout):
                    out.append(event.data)
                elif isinstance(event, Stderr):
                    err.append(event.data)
                elif isinstance(event, Exited):
                    code = event.code
                elif isinstance(event, Failed):
                    failure = event.message
        finally:
            await self.aclose()
        return ExecResult(stdout=b"".join(out), stderr=b"".join(err), exit_code=code, failure=failure)

    async def aclose(self) -> None:
        await self.socket.aclose()
