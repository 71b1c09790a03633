"""The programs on a sandbox image's ``$PATH``: echo, ls, cat, env, ps and friends.

``Programs`` holds the state a process sees (filesystem, environment, working directory,
terminal) and one ``_cmd_<name>`` coroutine per program; ``Shell`` adds the language on
top. Output follows the real tools closely enough for scripts and eyes, not byte for byte.
"""

from __future__ import annotations

import posixpath
import re
import shlex
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio

from periscope_adapters.sandbox._rootfs import RootFs
from periscope_adapters.sandbox._terminal import LineInput

__all__ = ["Programs", "ShellIO"]

_DEFAULT_SIZE = (80, 24)
_PRINTF = re.compile(r"%([-0-9.]*)([sdib%])")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "a": "\a", "e": "\x1b", "0": "\0"}


async def _no_input() -> bytes | None:
    return None


@dataclass(frozen=True)
class ShellIO:
    """Where a process's standard streams go."""

    write: Callable[[bytes], Awaitable[None]]
    write_err: Callable[[bytes], Awaitable[None]] | None = None
    """None sends stderr to ``write`` (always the case on a tty)."""
    read: Callable[[], Awaitable[bytes | None]] = _no_input
    """The next chunk of stdin, None at end of input."""
    size: Callable[[], tuple[int, int]] = field(default=lambda: _DEFAULT_SIZE)
    """The terminal's (columns, rows)."""


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text)


class Programs:
    """Process state and the built-in programs."""

    _io: ShellIO
    _tty: bool
    _clock: Callable[[], float]
    _fs: RootFs
    _host: str
    _vars: dict[str, str]
    _exported: set[str]
    _overlay: dict[str, str]
    _uid: int
    _cwd: str
    _input: LineInput
    _stack: list[tuple[int, str]]
    """(pid, command line) of the running process chain, outermost first."""

    async def _out(self, text: str) -> None:
        if text:
            await self._io.write(self._encode(text))

    async def _err(self, text: str) -> None:
        write = self._io.write_err if self._io.write_err is not None and not self._tty else self._io.write
        await write(self._encode(text))

    def _encode(self, text: str) -> bytes:
        # A tty's output post-processing turns LF into CR LF.
        return (text.replace("\n", "\r\n") if self._tty else text).encode()

    def _path(self, arg: str) -> str:
        return posixpath.normpath(posixpath.join(self._cwd, arg)) if arg else self._cwd

    async def _cmd_true(self, args: list[str]) -> int:
        return 0

    async def _cmd_false(self, args: list[str]) -> int:
        return 1

    async def _cmd_echo(self, args: list[str]) -> int:
        newline, escapes = True, False
        while args and re.fullmatch(r"-[neE]+", args[0]):
            flags = args.pop(0)
            newline = newline and "n" not in flags
            escapes = "e" in flags or (escapes and "E" not in flags)
        text = " ".join(args)
        await self._out((_unescape(text) if escapes else text) + ("\n" if newline else ""))
        return 0

    async def _cmd_printf(self, args: list[str]) -> int:
        if not args:
            await self._err("printf: usage: printf format [arguments]\n")
            return 2
        fmt, rest = _unescape(args[0]), args[1:]
        status = 0

        def substitute(match: re.Match[str]) -> str:
            nonlocal status
            flags, conv = match.groups()
            if conv == "%":
                return "%"
            value = rest.pop(0) if rest else ""
            if conv == "b":
                return _unescape(value)
            if conv == "s":
                return f"%{flags}s" % value
            try:
                return f"%{flags}d" % int(value or "0")
            except ValueError:
                status = 1
                return "0"

        out = [_PRINTF.sub(substitute, fmt)]
        consumes = any(m.group(2) != "%" for m in _PRINTF.finditer(fmt))
        # Like POSIX printf, reuse the format while arguments remain.
        while rest and consumes:
            out.append(_PRINTF.sub(substitute, fmt))
        await self._out("".join(out))
        return status

    async def _cmd_pwd(self, args: list[str]) -> int:
        await self._out(self._cwd + "\n")
        return 0

    async def _cmd_hostname(self, args: list[str]) -> int:
        await self._out(self._host + "\n")
        return 0

    def _user(self) -> str:
        return "root" if self._uid == 0 else f"uid{self._uid}"

    async def _cmd_whoami(self, args: list[str]) -> int:
        await self._out(self._user() + "\n")
        return 0

    async def _cmd_id(self, args: list[str]) -> int:
        who = f"{self._uid}({self._user()})"
        await self._out(f"uid={who} gid={who} groups={who}\n")
        return 0

    async def _cmd_uname(self, args: list[str]) -> int:
        parts = {
            "s": "Linux", "n": self._host, "r": "6.6.0-sandbox", "v": "#1 SMP PREEMPT_DYNAMIC",
            "m": "x86_64", "o": "GNU/Linux",
        }  # fmt: skip
        flags = "".join(a.lstrip("-") for a in args) or "s"
        keys = "snrvmo" if "a" in flags else [k for k in "snrvmo" if k in flags]
        await self._out(" ".join(parts[k] for k in keys) + "\n")
        return 0

    async def _cmd_date(self, args: list[str]) -> int:
        now = self._clock()
        fmts = [a[1:] for a in args if a.startswith("+")]
        fmt = fmts[0].replace("%s", str(int(now))) if fmts else "%a %b %e %H:%M:%S UTC %Y"
        await self._out(time.strftime(fmt, time.gmtime(now)) + "\n")
        return 0

    async def _cmd_sleep(self, args: list[str]) -> int:
        try:
            seconds = sum(float(a) for a in args) if args else None
        except ValueError:
            seconds = None
        if seconds is None:
            await self._err(f"sleep: invalid time interval {' '.join(args)!r}\n")
            return 1
        await anyio.sleep(seconds)
        return 0

    async def _cmd_env(self, args: list[str]) -> int:
        env = {k: v for k, v in self._vars.items() if k in self._exported} | self._overlay
        await self._out("".join(f"{k}={v}\n" for k, v in env.items()))
        return 0

    async def _cmd_stty(self, args: list[str]) -> int:
        if not self._tty:
            await self._err("stty: standard input: Not a tty\n")
            return 1
        if args[:1] == ["size"]:
            cols, rows = self._io.size()
            await self._out(f"{rows} {cols}\n")
        return 0

    async def _cmd_ps(self, args: list[str]) -> int:
        cmdline = (self._fs.read("/proc/1/cmdline") or "").rstrip("\0").replace("\0", " ")
        rows = [(1, cmdline), *self._stack]
        await self._out("PID   USER     TIME  COMMAND\n")
        await self._out("".join(f"{pid:>5} {self._user():<8}  0:00 {cmd}\n" for pid, cmd in rows))
        return 0

    async def _cmd_cat(self, args: list[str]) -> int:
        status = 0
        for arg in args or ["-"]:
            if arg == "-":
                while (line := await self._input.readline()) is not None:
                    await self._out(line + "\n")
                continue
            path = self._path(arg)
            content = self._fs.read(path)
            if content is None:
                reason = "Is a directory" if self._fs.is_dir(path) else "No such file or directory"
                await self._err(f"cat: {arg}: {reason}\n")
                status = 1
            else:
                await self._out(content)
        return status

    async def _cmd_ls(self, args: list[str]) -> int:
        flags = "".join(a[1:] for a in args if a.startswith("-") and len(a) > 1)
        targets = [a for a in args if not (a.startswith("-") and len(a) > 1)] or ["."]
        status, blocks = 0, []
        for arg in targets:
            path = self._path(arg)
            if self._fs.is_dir(path):
                names = ([".", ".."] if "a" in flags else []) + self._fs.listdir(path)
                base = path
            elif self._fs.read(path) is not None:
                names, base = [arg], None
            else:
                await self._err(f"ls: cannot access '{arg}': No such file or directory\n")
                status = 2
                continue
            listing = self._ls_long(base, names) if "l" in flags else self._ls_short(names, "1" in flags)
            blocks.append(f"{arg}:\n{listing}" if len(targets) > 1 and base else listing)
        await self._out("\n".join(blocks))
        return status

    def _ls_short(self, names: list[str], one_per_line: bool) -> str:
        if not names:
            return ""
        # ls prints one name per line unless it writes to a terminal.
        return "  ".join(names) + "\n" if self._tty and not one_per_line else "".join(n + "\n" for n in names)

    def _ls_long(self, base: str | None, names: list[str]) -> str:
        stamp = time.strftime("%b %e %H:%M", time.gmtime(self._clock()))
        lines = [f"total {len(names) * 4}"] if base else []
        for name in names:
            path = self._path(name) if base is None else posixpath.normpath(posixpath.join(base, name))
            if self._fs.is_dir(path):
                mode, size = "drwxr-xr-x", 4096
            else:
                mode = "-rwxr-xr-x" if path.startswith("/bin/") else "-rw-r--r--"
                size = len((self._fs.read(path) or "").encode())
            lines.append(f"{mode}    1 root     root     {size:>8} {stamp} {shlex.quote(name)}")
        return "".join(line + "\n" for line in lines)
