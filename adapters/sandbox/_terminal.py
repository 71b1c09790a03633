"""Standard input for the sandbox shell, with or without a terminal.

Without a tty, input is a plain byte stream split into lines. With a tty the sandbox
plays the kernel's line discipline in canonical mode: it echoes what is typed, handles
backspace, Ctrl-U, Ctrl-C (interrupt the foreground command) and Ctrl-D (end of input
on an empty line), turns CR into end of line, and drops cursor-key escape sequences.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream

__all__ = ["INTERRUPT", "LineDiscipline", "LineInput", "StreamInput"]

Read = Callable[[], Awaitable[bytes | None]]
Write = Callable[[bytes], Awaitable[None]]

INTERRUPT = "\x03"
"""Returned by ``readline`` when Ctrl-C was typed with no command in the foreground."""

_BACKSPACE = ("\x7f", "\x08")
_MAX_LINE = 4096  # the Linux canonical-mode line limit


class LineInput(ABC):
    @abstractmethod
    async def readline(self) -> str | None:
        """The next line without its terminator, or None at end of input."""


class StreamInput(LineInput):
    """Lines from a byte stream (``kubectl exec -i`` without ``-t``)."""

    def __init__(self, read: Read) -> None:
        self._read = read
        self._buf = b""
        self._eof = False

    async def readline(self) -> str | None:
        while b"\n" not in self._buf and not self._eof:
            chunk = await self._read()
            if chunk is None:
                self._eof = True
            else:
                self._buf += chunk
        if b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
        elif self._buf:
            line, self._buf = self._buf, b""
        else:
            return None
        return line.decode("utf-8", "replace")


class LineDiscipline(LineInput):
    """Canonical-mode terminal input; run ``pump`` in a task while the shell reads lines."""

    def __init__(self, read: Read, echo: Write) -> None:
        self._read = read
        self._echo = echo
        self._send: ObjectSendStream[str | None]
        self._receive: ObjectReceiveStream[str | None]
        self._send, self._receive = anyio.create_memory_object_stream[str | None](64)
        self._line: list[str] = []
        self._escape = ""
        self.foreground: anyio.CancelScope | None = None
        """The running command's scope, cancelled by Ctrl-C."""

    async def readline(self) -> str | None:
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            return None

    async def pump(self) -> None:
        """Read the terminal until its input ends, feeding lines to ``readline``."""
        async with self._send:
            while (chunk := await self._read()) is not None:
                for char in chunk.decode("utf-8", "replace"):
                    await self._key(char)

    async def _key(self, char: str) -> None:
        if self._escape or char == "\x1b":
            # Swallow ESC [ ... final-byte sequences (arrow keys and friends).
            self._escape += char
            if len(self._escape) > 1 and (self._escape[1] != "[" or char.isalpha() or char == "~"):
                self._escape = ""
            return
        if char in ("\r", "\n"):
            await self._echo(b"\r\n")
            line, self._line = "".join(self._line), []
            await self._send.send(line)
        elif char in _BACKSPACE:
            if self._line:
                self._line.pop()
                await self._echo(b"\b \b")
        elif char == "\x15":
            await self._echo(b"\b \b" * len(self._line))
            self._line = []
        elif char == "\x03":
            await self._echo(b"^C\r\n")
            self._line = []
            if self.foreground is not None:
                self.foreground.cancel()
            else:
                await self._send.send(INTERRUPT)
        elif char == "\x04":
            if not self._line:
                await self._send.send(None)
        elif char >= " " and len(self._line) < _MAX_LINE:
            self._line.append(char)
            await self._echo(char.encode())
