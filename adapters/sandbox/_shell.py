"""The tiny shell that ``kubectl exec`` reaches inside a sandbox container.

``Shell(pod, container, io=...).run(argv)`` behaves like the process the kubelet would
start: ``argv[0]`` must exist in the image (else ExecutableNotFound, which the exec
session reports the way containerd does), ``sh``/``bash`` run a ``-c`` script or an
interactive session (with a prompt and line editing when there is a tty), and the other
programs are built in. It touches no sockets: input and output are the callables in
ShellIO, so it is tested by feeding bytes and reading what was written.
"""

from __future__ import annotations

import posixpath
import shlex
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import anyio

from periscope_adapters.sandbox._rootfs import RootFs, container_env, executables, hostname, image_family
from periscope_adapters.sandbox._shellparse import Command, ShellSyntaxError, parse
from periscope_adapters.sandbox._terminal import INTERRUPT, LineDiscipline, StreamInput
from periscope_adapters.sandbox._tools import Programs, ShellIO

__all__ = ["ExecutableNotFound", "Shell", "ShellIO"]

_SHELL_ONLY = ("cd", "command", "exit", "export", "unset")
_ALSO_BUILTIN = ("echo", "false", "printf", "pwd", "true")


class ExecutableNotFound(Exception):
    """``argv[0]`` does not exist in the container image."""

    def __init__(self, name: str) -> None:
        super().__init__(f'exec: "{name}": executable file not found in $PATH')
        self.name = name


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


class Shell(Programs):
    """One exec'd process tree in one container of a pod."""

    def __init__(
        self,
        pod: Mapping[str, Any],
        container: str,
        *,
        io: ShellIO,
        tty: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        spec = pod.get("spec", {})
        self._container: Mapping[str, Any] = next(
            (c for c in spec.get("containers", ()) if c.get("name") == container), {"name": container}
        )
        self._io, self._tty, self._clock = io, tty, clock
        self._fs = RootFs(pod, self._container)
        self._family = image_family(str(self._container.get("image", "")))
        self._bins = executables(self._family)
        self._host = hostname(pod)
        self._vars = container_env(pod, self._container)
        if tty:
            self._vars.setdefault("TERM", "xterm")
        self._exported = set(self._vars)
        self._overlay: dict[str, str] = {}
        ctx = {**(spec.get("securityContext") or {}), **(self._container.get("securityContext") or {})}
        self._uid = int(ctx.get("runAsUser", 0))
        self._cwd = str(self._container.get("workingDir") or "/")
        self._status = 0
        self._name = "sh"
        self._pids = iter(range(7, 1 << 15, 6))
        self._stack: list[tuple[int, str]] = []
        self._input = StreamInput(io.read)
        self._terminal: LineDiscipline | None = None

    async def run(self, argv: Sequence[str]) -> int:
        """Run ``argv`` as the container's new process; returns its exit code."""
        if not argv or posixpath.basename(argv[0]) not in self._bins:
            raise ExecutableNotFound(argv[0] if argv else "")
        if not self._tty:
            return await self._program(list(argv))
        self._terminal = LineDiscipline(self._io.read, self._io.write)
        self._input = self._terminal
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._terminal.pump)
            code = await self._program(list(argv))
            tg.cancel_scope.cancel()
        return code

    # -- the shell --------------------------------------------------------------

    async def _program(self, argv: list[str]) -> int:
        name = posixpath.basename(argv[0])
        self._stack.append((next(self._pids), shlex.join(argv)))
        try:
            if name in ("sh", "bash"):
                return await self._shell(name, argv[1:])
            handler: Callable[[list[str]], Awaitable[int]] = getattr(self, f"_cmd_{name}")
            return await handler(argv[1:])
        finally:
            self._stack.pop()

    async def _shell(self, name: str, args: list[str]) -> int:
        outer, self._name = self._name, name
        try:
            while args and args[0].startswith("-") and len(args[0]) > 1:
                flags = args.pop(0)
                if "c" in flags:
                    if not args:
                        await self._err(f"{name}: -c: option requires an argument\n")
                        return 2
                    return await self._run_line(args[0])
            if args:
                await self._err(f"{name}: can't open '{args[0]}': No such file or directory\n")
                return 2
            return await self._repl()
        except _Exit as done:
            return done.code
        finally:
            self._name = outer

    def _prompt(self) -> str:
        if self._name == "bash":
            return f"root@{self._host}:{self._cwd}# "
        return f"{self._cwd} # " if self._family in ("busybox", "alpine") else "# "

    async def _repl(self) -> int:
        terminal = self._terminal
        while True:
            if terminal is not None:
                await self._out(self._prompt())
            line = await self._input.readline()
            if line is None:
                if terminal is not None and self._name == "bash":
                    await self._out("exit\n")
                return self._status
            if line == INTERRUPT:
                self._status = 130
                continue
            if terminal is None:
                await self._run_line(line)
                continue
            with anyio.CancelScope() as scope:
                terminal.foreground = scope
                await self._run_line(line)
            terminal.foreground = None
            if scope.cancelled_caught:
                self._status = 130

    async def _run_line(self, line: str) -> int:
        try:
            steps = parse(line)
        except ShellSyntaxError as exc:
            await self._err(f"{self._name}: {exc}\n")
            self._status = 2
            return 2
        for step in steps:
            if (step.joiner == "&&" and self._status != 0) or (step.joiner == "||" and self._status == 0):
                continue
            self._status = await self._command(step.command)
        return self._status

    def _lookup(self, name: str) -> str:
        if name == "?":
            return str(self._status)
        if name == "$":
            return str(self._stack[-1][0]) if self._stack else "1"
        if self._tty and name in ("COLUMNS", "LINES"):
            return str(self._io.size()[0 if name == "COLUMNS" else 1])
        return self._overlay.get(name, self._vars.get(name, ""))

    async def _command(self, command: Command) -> int:
        words = list(command.words)
        assignments: dict[str, str] = {}
        while words and (pair := words[0].assignment) is not None:
            assignments[pair[0]] = pair[1].expand(self._lookup)
            words.pop(0)
        argv = [w.expand(self._lookup) for w in words]
        if not argv:
            self._vars.update(assignments)
            return 0
        self._overlay = assignments
        try:
            return await self._dispatch(argv)
        finally:
            self._overlay = {}

    async def _dispatch(self, argv: list[str]) -> int:
        name = argv[0]
        if name in _SHELL_ONLY:
            handler: Callable[[list[str]], Awaitable[int]] = getattr(self, f"_builtin_{name}")
            return await handler(argv[1:])
        if name in _ALSO_BUILTIN or self._resolve(name) is not None:
            return await self._program(argv)
        missing = "command not found" if self._name == "bash" else "not found"
        await self._err(f"{self._name}: {name}: {missing}\n")
        return 127

    def _resolve(self, name: str) -> str | None:
        base = posixpath.basename(name)
        if base not in self._bins:
            return None
        return name if "/" in name else f"/bin/{base}"

    # -- shell builtins ---------------------------------------------------------

    async def _builtin_cd(self, args: list[str]) -> int:
        target = self._path(args[0] if args else self._vars.get("HOME", "/"))
        if not self._fs.is_dir(target):
            await self._err(f"{self._name}: cd: {args[0] if args else target}: No such file or directory\n")
            return 1
        self._cwd = target
        return 0

    async def _builtin_exit(self, args: list[str]) -> int:
        raise _Exit(int(args[0]) & 0xFF if args and args[0].isdigit() else self._status)

    async def _builtin_export(self, args: list[str]) -> int:
        if not args:
            listing = (f"export {k}={shlex.quote(self._vars[k])}\n" for k in sorted(self._exported))
            await self._out("".join(listing))
        for arg in args:
            name, sep, value = arg.partition("=")
            if sep:
                self._vars[name] = value
            self._vars.setdefault(name, "")
            self._exported.add(name)
        return 0

    async def _builtin_unset(self, args: list[str]) -> int:
        for name in args:
            self._vars.pop(name, None)
            self._exported.discard(name)
        return 0

    async def _builtin_command(self, args: list[str]) -> int:
        if not args:
            return 0
        if args[0] != "-v":
            return await self._dispatch(args)
        status = 0
        for name in args[1:]:
            if name in _SHELL_ONLY or name in _ALSO_BUILTIN:
                await self._out(name + "\n")
            elif (path := self._resolve(name)) is not None:
                await self._out(path + "\n")
            else:
                status = 1
        return status
