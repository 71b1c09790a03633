"""The sandbox's exec shell, driven through its I/O callables and through channel frames."""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from periscope_adapters.sandbox._exec import run_session
from periscope_adapters.sandbox._shell import ExecutableNotFound, Shell, ShellIO
from periscope_core.protocols import (
    V4,
    V5,
    ChannelCodec,
    CloseChannel,
    Exited,
    Failed,
    Resize,
    Stderr,
    Stdin,
    Stdout,
)


def make_pod(image: str = "nginx:1.27.3", **container: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web-7f9c", "namespace": "shop", "uid": "u1"},
        "spec": {"nodeName": "node-a", "containers": [{
            "name": "app", "image": image,
            "env": [{"name": "MODE", "value": "blue"},
                    {"name": "MY_POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            **container,
        }]},
        "status": {"podIP": "10.244.0.7"},
    }


class Run:
    """One shell run: what it wrote, where, and its exit code."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.err = bytearray()
        self.code: int | None = None

    @property
    def text(self) -> str:
        return self.out.decode()


async def run(argv: list[str], *, stdin: list[bytes] | None = None, tty: bool = False,
              image: str = "nginx:1.27.3", size: tuple[int, int] = (80, 24)) -> Run:
    result = Run()
    chunks = list(stdin or [])

    async def read() -> bytes | None:
        await anyio.lowlevel.checkpoint()
        return chunks.pop(0) if chunks else None

    async def write(data: bytes) -> None:
        result.out.extend(data)

    async def write_err(data: bytes) -> None:
        result.err.extend(data)

    io = ShellIO(write=write, write_err=write_err, read=read, size=lambda: size)
    shell = Shell(make_pod(image), "app", io=io, tty=tty, clock=lambda: 1_700_000_000.0)
    with anyio.fail_after(5):
        result.code = await shell.run(argv)
    return result


async def test_a_program_runs_without_a_shell() -> None:
    result = await run(["echo", "hi", "there"])
    assert (result.text, result.code) == ("hi there\n", 0)


async def test_sh_c_expands_variables_and_honours_and_or_lists() -> None:
    script = (
        'echo "$MODE/$MY_POD" \'$MODE\'; A=1; echo a=${A}; '
        "false || echo rescued; false && echo never; exit 3"
    )
    result = await run(["sh", "-c", script])
    assert result.text == "blue/web-7f9c $MODE\na=1\nrescued\n"
    assert result.code == 3


async def test_status_of_the_last_command_is_the_exit_code_and_in_dollar_question() -> None:
    result = await run(["bash", "-c", "nosuchcmd; echo status=$?"])
    assert result.text == "status=127\n"
    assert result.err.decode() == "bash: nosuchcmd: command not found\n"
    assert result.code == 0


async def test_files_reflect_the_pod() -> None:
    result = await run(["sh", "-c", "cat /etc/hostname; hostname; cat /var/run/secrets/kubernetes.io/"
                                    "serviceaccount/namespace; echo; ls /etc"])
    lines = result.text.splitlines()
    assert lines[:3] == ["web-7f9c", "web-7f9c", "shop"]
    assert {"hostname", "os-release", "resolv.conf"} <= set(lines[3:])


async def test_missing_file_is_an_error_with_status_1() -> None:
    result = await run(["cat", "/nope"])
    assert result.err.decode() == "cat: /nope: No such file or directory\n"
    assert result.code == 1


async def test_env_lists_the_container_environment() -> None:
    env = dict(line.split("=", 1) for line in (await run(["env"])).text.splitlines())
    assert env["MODE"] == "blue"
    assert env["MY_POD"] == "web-7f9c"
    assert env["HOSTNAME"] == "web-7f9c"


async def test_cd_pwd_and_command_v() -> None:
    result = await run(["sh", "-c", "cd /etc && pwd; cd /nowhere; command -v ls cd nosuch; echo $?"])
    assert result.text.splitlines() == ["/etc", "/bin/ls", "cd", "1"]
    assert "cd: /nowhere: No such file or directory" in result.err.decode()


async def test_printf_reuses_its_format() -> None:
    result = await run(["printf", "%s=%d\\n", "a", "1", "b", "2"])
    assert result.text == "a=1\nb=2\n"


async def test_uname_date_id() -> None:
    result = await run(["sh", "-c", "uname -s; date +%s; id; whoami"])
    expected = ["Linux", "1700000000", "uid=0(root) gid=0(root) groups=0(root)", "root"]
    assert result.text.splitlines() == expected


async def test_syntax_errors_are_reported_not_guessed() -> None:
    result = await run(["sh", "-c", "ps | grep x"])
    assert result.code == 2
    assert "pipes are not supported" in result.err.decode()


async def test_sh_reads_a_script_from_stdin_until_eof() -> None:
    result = await run(["sh"], stdin=[b"echo one\nhost", b"name\nexit 4\necho never\n"])
    assert result.text == "one\nweb-7f9c\n"
    assert result.code == 4


async def test_cat_without_arguments_copies_stdin() -> None:
    result = await run(["cat"], stdin=[b"hello\nwor", b"ld\n"])
    assert result.text == "hello\nworld\n"


async def test_distroless_has_nothing_to_exec() -> None:
    with pytest.raises(ExecutableNotFound, match=r'exec: "sh": executable file not found in \$PATH'):
        await run(["sh"], image="gcr.io/distroless/static-debian12:nonroot")


async def test_alpine_has_sh_but_not_bash() -> None:
    with pytest.raises(ExecutableNotFound):
        await run(["bash"], image="redis:7.4-alpine")
    result = await run(["sh", "-c", "bash -c true"], image="redis:7.4-alpine")
    assert (result.err.decode(), result.code) == ("sh: bash: not found\n", 127)


async def test_tty_session_echoes_edits_and_prompts() -> None:
    keys = [b"echo hi\r", b"pwx\x7fd\r", b"\x04"]
    result = await run(["bash"], stdin=keys, tty=True)
    text = result.text
    assert text.startswith("root@web-7f9c:/# ")
    assert "echo hi\r\nhi\r\n" in text
    assert "pwx\b \bd\r\n/\r\n" in text
    assert text.endswith("exit\r\n")
    assert result.code == 0


async def test_ctrl_c_interrupts_the_foreground_command() -> None:
    result = await run(["sh"], stdin=[b"sleep 30\r", b"\x03", b"echo $?\r", b"exit\r"], tty=True)
    assert "^C\r\n" in result.text
    assert "130\r\n" in result.text


async def test_stty_and_columns_follow_the_terminal_size() -> None:
    result = await run(["sh", "-c", "stty size; echo $COLUMNS"], tty=True, size=(132, 43))
    assert result.text == "43 132\r\n132\r\n"


# -- the exec session over channel frames ------------------------------------------------


class Target:
    def __init__(self, command: list[str], *, image: str = "nginx:1.27.3", stdin: bool = False,
                 tty: bool = False) -> None:
        self.pod = make_pod(image)
        self.container = "app"
        self.command = command
        self.stdin, self.stdout, self.stderr, self.tty = stdin, True, not tty, tty


class Peer:
    """The client's side of an in-memory exec session."""

    def __init__(self, subprotocol: str) -> None:
        self.codec = ChannelCodec(subprotocol, role="client")
        self.to_server, self._server_in = anyio.create_memory_object_stream[bytes](16)
        self._server_out, self.from_server = anyio.create_memory_object_stream[bytes](16)

    async def send(self, message: bytes) -> None:  # the server's pipe
        await self._server_out.send(message)

    async def receive(self) -> bytes | None:
        try:
            return await self._server_in.receive()
        except anyio.EndOfStream:
            return None

    async def events(self) -> list[Any]:
        return [self.codec.receive_message(m) async for m in self.from_server]


async def session(target: Target, subprotocol: str, client: list[Any]) -> list[Any]:
    peer = Peer(subprotocol)
    async with anyio.create_task_group() as tg:
        async def serve() -> None:
            async with peer._server_out:
                await run_session(peer, target, subprotocol=subprotocol)

        tg.start_soon(serve)
        for event in client:
            await peer.to_server.send(peer.codec.send(event))
        with anyio.fail_after(5):
            events = await peer.events()
        await peer.to_server.aclose()
    return events


async def test_exec_session_streams_output_then_exit_status() -> None:
    events = await session(Target(["sh", "-c", "echo out; echo err >/dev/null"]), V5, [])
    assert isinstance(events[-1], Exited)
    assert events[-1].code == 2  # redirections are refused, loudly
    assert any(isinstance(e, Stderr) and b"redirections are not supported" in e.data for e in events)


async def test_exec_session_v5_close_is_end_of_stdin() -> None:
    events = await session(Target(["cat"], stdin=True), V5,
                           [Stdin(b"line one\n"), Stdin(b"line two\n"), CloseChannel(0)])
    out = b"".join(e.data for e in events if isinstance(e, Stdout))
    assert out == b"line one\nline two\n"
    assert events[-1] == Exited(0)


async def test_exec_session_reports_non_zero_exit_codes() -> None:
    events = await session(Target(["sh", "-c", "exit 7"]), V4, [])
    assert events[-1] == Exited(7)


async def test_exec_session_tty_resize() -> None:
    events = await session(Target(["sh"], stdin=True, tty=True), V5,
                           [Resize(width=100, height=30), Stdin(b"stty size\r"), Stdin(b"exit 0\r")])
    out = b"".join(e.data for e in events if isinstance(e, Stdout))
    assert b"30 100\r\n" in out
    assert events[-1] == Exited(0)


async def test_exec_of_a_missing_binary_fails_like_containerd() -> None:
    events = await session(Target(["sh"], image="gcr.io/distroless/base"), V5, [])
    failure = events[-1]
    assert isinstance(failure, Failed)
    assert failure.reason == "InternalError"
    assert failure.message.endswith('exec: "sh": executable file not found in $PATH: unknown')
    assert json.loads(json.dumps(failure.status))["code"] == 500


async def test_attach_without_stdin_waits_until_the_client_leaves() -> None:
    peer = Peer(V5)
    target = Target([], stdin=False)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            async def leave_soon() -> None:
                assert peer.codec.receive_message(await peer.from_server.receive()) == Stdout(b"")
                await peer.to_server.aclose()

            tg.start_soon(leave_soon)
            assert await run_session(peer, target, subprotocol=V5, attach=True) is None
