"""One exec or attach session: channel messages in and out, the sandbox shell in between.

The session speaks the server side of ``v5.channel.k8s.io``/``v4.channel.k8s.io`` over
any message pipe (an aiohttp WebSocket, or an in-memory pair): stdin frames feed the
shell, its output goes out on channels 1 and 2 (both on 1 with a tty, as a terminal
merges them), resize frames change what ``stty size`` and ``$COLUMNS`` report, and the
exit status goes out on channel 3 just before the session ends. A v5 close of channel 0
is end of input. When the peer goes away the shell is cancelled at once.
"""

from __future__ import annotations

import posixpath
import secrets
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import anyio

from periscope_adapters.sandbox._kubelet import main_process_exited
from periscope_adapters.sandbox._shell import ExecutableNotFound, Shell, ShellIO
from periscope_core.protocols import (
    ChannelCodec,
    ChannelEvent,
    CloseChannel,
    Established,
    Exited,
    Failed,
    RemoteProtocolError,
    Resize,
    Stderr,
    Stdin,
    Stdout,
)

if TYPE_CHECKING:
    from periscope_adapters.sandbox._engine import ApiServer

__all__ = ["ExecRequest", "MessagePipe", "run_session", "serve_session"]

_STDIN_CHANNEL = 0
_STDIN_BUFFER = 64  # messages; a client that outruns the shell waits, as over a real socket


class MessagePipe(Protocol):
    """Whole binary messages each way; ``receive`` returns None once the peer has closed."""

    async def send(self, message: bytes) -> None: ...

    async def receive(self) -> bytes | None: ...


class ExecRequest(Protocol):
    """What the engine authorized: the engine's ExecTarget has these fields."""

    @property
    def pod(self) -> Mapping[str, Any]: ...

    @property
    def container(self) -> str: ...

    @property
    def command(self) -> list[str]: ...

    @property
    def stdin(self) -> bool: ...

    @property
    def stdout(self) -> bool: ...

    @property
    def stderr(self) -> bool: ...

    @property
    def tty(self) -> bool: ...


def _start_failure(name: str) -> Failed:
    # Word for word what containerd reports through the kubelet for a missing binary.
    cause = (
        f'error executing command in container: failed to exec in container: failed to start exec '
        f'"{secrets.token_hex(32)}": OCI runtime exec failed: exec failed: unable to start container '
        f'process: exec: "{name}": executable file not found in $PATH: unknown'
    )
    return Failed(
        message=f"Internal error occurred: {cause}",
        reason="InternalError",
        status={"details": {"causes": [{"message": cause}]}, "code": 500},
    )


def _attach_argv(container: Mapping[str, Any]) -> list[str] | None:
    """The container's main process when it is a shell attach can talk to."""
    argv = [*(container.get("command") or ()), *(container.get("args") or ())]
    return argv if argv and posixpath.basename(argv[0]) in ("sh", "bash") else None


class _Session:
    def __init__(self, pipe: MessagePipe, codec: ChannelCodec, target: ExecRequest) -> None:
        self._pipe, self._codec, self._target = pipe, codec, target
        self._size = (80, 24)
        self._stdin_send, self._stdin = anyio.create_memory_object_stream[bytes](_STDIN_BUFFER)
        self._stdin_open = target.stdin
        if not target.stdin:
            self._stdin_send.close()

    async def _send(self, event: ChannelEvent) -> None:
        await self._pipe.send(self._codec.send(event))

    async def _stdout(self, data: bytes) -> None:
        if self._target.stdout:
            await self._send(Stdout(data))

    async def _stderr(self, data: bytes) -> None:
        if self._target.stderr:
            await self._send(Stderr(data))

    async def _read(self) -> bytes | None:
        try:
            return await self._stdin.receive()
        except anyio.EndOfStream:
            return None

    async def _pump_input(self, scope: anyio.CancelScope) -> None:
        """Feed the client's frames to the shell; a closed pipe ends the whole session."""
        try:
            while (message := await self._pipe.receive()) is not None:
                event = self._codec.receive_message(message)
                if isinstance(event, Stdin) and self._stdin_open:
                    await self._stdin_send.send(event.data)
                elif isinstance(event, CloseChannel) and event.channel == _STDIN_CHANNEL:
                    self._stdin_open = False
                    self._stdin_send.close()
                elif isinstance(event, Resize):
                    self._size = (event.width, event.height)
        except RemoteProtocolError:
            pass
        scope.cancel()

    async def run(self, argv: list[str] | None, *, clock: Callable[[], float] | None) -> int | None:
        target = self._target
        io = ShellIO(
            write=self._stdout,
            write_err=None if target.tty else self._stderr,
            read=self._read,
            size=lambda: self._size,
        )
        shell = Shell(target.pod, target.container, io=io, tty=target.tty, clock=clock or time.time)
        code: int | None = None  # stays None when the client leaves first
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._pump_input, tg.cancel_scope)
            # The kubelet's "connection established" signal: an empty frame on the first open channel.
            first: ChannelEvent = Established()
            if target.stdout or target.stderr:
                first = Stdout(b"") if target.stdout else Stderr(b"")
            await self._send(first)
            if argv is None:
                await anyio.sleep_forever()  # attach to a process that never reads: wait for the client
                return None
            status: ChannelEvent
            try:
                code = await shell.run(argv) & 0xFF
                status = Exited(code)
            except ExecutableNotFound as exc:
                status = _start_failure(exc.name)
            await self._send(status)
            tg.cancel_scope.cancel()
        return code


async def run_session(
    pipe: MessagePipe,
    target: ExecRequest,
    *,
    subprotocol: str,
    attach: bool = False,
    clock: Callable[[], float] | None = None,
) -> int | None:
    """Serve one exec (``attach=False``) or attach session until it ends or the peer leaves.

    Returns the exit code of the process that ran, if one ran to its end. The caller
    closes the pipe afterwards; closing it is what tells the client the session is over.
    """
    codec = ChannelCodec(subprotocol, role="server")
    session = _Session(pipe, codec, target)
    if attach:
        spec = target.pod.get("spec", {})
        containers: list[Mapping[str, Any]] = spec.get("containers") or []
        container = next((c for c in containers if c.get("name") == target.container), {})
        argv = _attach_argv(container) if target.stdin else None
    else:
        argv = list(target.command)
    return await session.run(argv, clock=clock)


async def serve_session(
    pipe: MessagePipe, api: ApiServer, target: ExecRequest, *, subprotocol: str, attach: bool
) -> None:
    """Run a session for a listener; a shell someone attached to ends its container when it exits."""
    code = await run_session(pipe, target, subprotocol=subprotocol, attach=attach)
    if attach and code is not None:
        main_process_exited(api, dict(target.pod), target.container, code, now=api.store.now())
