"""Starting the process an exec session relays: transport choice, default container and shell.

The upgrade offers v5 then v4 unless the cluster's breaker pinned v4. When an upgrade
that offered v5 fails in a way v4 might not (the socket broke, or the upgrade itself was
refused with 400 or a 5xx), it is retried offering v4 alone, and a v4 success counts
against v5. Refusals that v4 would meet too (401, 403, 404, ...) are raised as they are.

Without a command the shells are tried in order: a shell that does not exist in the
image fails right after the upgrade with a start error (containerd) or exit code 127,
before writing anything, so the first output, or a quiet ``launch_window``, means it
started. What was read while deciding is kept and replayed to the browser.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import anyio
import msgspec
from anyio.abc import TaskGroup

from periscope_core.domain.errors import ApiError, ClusterUnreachable, PeriscopeError, UpstreamTimeout
from periscope_core.domain.exec import SHELLS, ExecTarget, NoShell, Transport, default_container
from periscope_core.domain.identity import BRIDGE, Impersonation
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.protocols.errors import ProtocolError
from periscope_core.protocols.k8s_channel import V5, ChannelEvent, Exited, Failed, Stderr, Stdout
from periscope_core.services.exec_breaker import V4_ONLY, ProtocolBreaker
from periscope_core.services.exec_stream import ExecStream
from periscope_core.services.kube import KubeClient

__all__ = ["Lost", "UpstreamEvent", "UpstreamLauncher", "UpstreamProcess"]

_log = logging.getLogger("periscope.exec")

_PODS = GroupVersionResource("", "v1", "pods")
_BUFFER = 16  # messages read ahead of the browser; beyond that the apiserver waits
_NOT_FOUND = ("executable file not found", "no such file or directory")
_COMMAND_NOT_FOUND = 127
_CLOSE_TIMEOUT = 5.0


class Lost(msgspec.Struct, frozen=True):
    """The upstream socket broke, or spoke nonsense, before the process reported its end."""

    message: str


UpstreamEvent = ChannelEvent | Lost


def _transport(subprotocol: str) -> Transport:
    return "ws_v5" if subprotocol == V5 else "ws_v4"


def _did_not_start(event: Exited | Failed) -> bool:
    if isinstance(event, Exited):
        return event.code == _COMMAND_NOT_FOUND
    message = event.message.lower()
    return any(marker in message for marker in _NOT_FOUND)


def _upgrade_failure(exc: PeriscopeError) -> bool:
    """A failure of the upgrade itself, which another subprotocol offer might not meet."""
    if isinstance(exc, ClusterUnreachable | UpstreamTimeout):
        return True
    return isinstance(exc, ApiError) and (exc.http_status == 400 or type(exc) is ApiError)


class UpstreamProcess:
    """A started exec stream; a background task reads it into a small buffer (``pump``)."""

    def __init__(self, stream: ExecStream, command: tuple[str, ...]) -> None:
        self.stream = stream
        self.command = command
        self.transport = _transport(stream.subprotocol)
        self._pending: list[UpstreamEvent] = []
        self._send, self._receive = anyio.create_memory_object_stream[UpstreamEvent](_BUFFER)
        self._scope = anyio.CancelScope()

    async def pump(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        with self._scope, self._send:
            task_status.started()
            try:
                try:
                    async for event in self.stream.events():
                        # No checkpoint while there is room: messages that arrived together are
                        # queued together, and the relay sends them on as one frame.
                        try:
                            self._send.send_nowait(event)
                        except anyio.WouldBlock:
                            await self._send.send(event)
                except (PeriscopeError, ProtocolError) as exc:
                    await self._send.send(Lost(message=str(exc)))
            except anyio.BrokenResourceError:
                pass  # nobody reads any more: the session is over

    async def next_event(self) -> UpstreamEvent | None:
        """The next event, or None once the stream has ended."""
        if self._pending:
            return self._pending.pop(0)
        try:
            # Output comes in bursts: take what is queued without a trip round the event loop.
            return self._receive.receive_nowait()
        except anyio.WouldBlock:
            pass
        except anyio.EndOfStream:
            return None
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            return None

    def queued_output(self, limit: int) -> list[bytes]:
        """Output already read ahead, up to about ``limit`` bytes, without waiting; stops before any other event."""
        chunks: list[bytes] = []
        size = 0
        while size < limit:
            if self._pending:
                event = self._pending.pop(0)
            else:
                try:
                    event = self._receive.receive_nowait()
                except (anyio.WouldBlock, anyio.EndOfStream):
                    break
            if not isinstance(event, Stdout | Stderr):
                self._pending.insert(0, event)
                break
            chunks.append(event.data)
            size += len(event.data)
        return chunks

    async def started(self, window: float) -> bool:
        """Wait for the first sign of life; False when the command does not exist in the image."""
        with anyio.move_on_after(window):
            async for event in self._receive:
                self._pending.append(event)
                if isinstance(event, Stdout | Stderr) and event.data:
                    return True
                if isinstance(event, Exited | Failed):
                    return not _did_not_start(event)
                if isinstance(event, Lost):
                    return True  # the relay reports it
        return True

    async def aclose(self) -> None:
        """Stop reading and close the upstream socket, even while the caller is being cancelled."""
        self._scope.cancel()
        self._receive.close()
        with anyio.CancelScope(shield=True), anyio.move_on_after(_CLOSE_TIMEOUT):
            await self.stream.aclose()


class UpstreamLauncher:
    """Opens exec streams for sessions; one per process, as it holds the breakers."""

    def __init__(self, *, breaker: ProtocolBreaker | None = None, launch_window: float = 0.5) -> None:
        self.breaker = breaker or ProtocolBreaker()
        self.launch_window = launch_window

    async def container(self, kube: KubeClient, target: ExecTarget, *, as_: Impersonation) -> str:
        """The container asked for, else the pod's default one (read as the caller)."""
        if target.container:
            return target.container
        pod = await kube.get(_PODS, target.pod, namespace=target.namespace, as_=as_)
        return default_container(pod)

    async def start(
        self, kube: KubeClient, target: ExecTarget, *, container: str, as_: Impersonation, task_group: TaskGroup
    ) -> UpstreamProcess:
        """A running process, its reader started in ``task_group``.

        Raises NoShell when no default shell exists, else the upgrade's error.
        """
        candidates = (target.command,) if target.command else SHELLS
        for command in candidates:
            stream = await self._connect(kube, target, container=container, command=command, as_=as_)
            process = UpstreamProcess(stream, command)
            try:
                await task_group.start(process.pump)
                if target.command or await process.started(self.launch_window):
                    return process
            except BaseException:  # cancelled while starting: nobody else holds the socket
                await process.aclose()
                raise
            await process.aclose()
        raise NoShell(container, candidates)

    async def probe(self, kube: KubeClient) -> str:
        """Run ``true`` in the first kube-system pod as the bridge identity, warming credentials and the breaker.

        Returns ``ok``, ``no_pod`` or the error code (a refusal still proves the upgrade path); never raises.
        """
        outcome = "ok"
        try:
            pods = await kube.list(_PODS, namespace="kube-system", limit=1)
            if not pods.items:
                return "no_pod"
            pod = pods.items[0]
            target = ExecTarget(cluster=kube.cluster, namespace="kube-system", pod=pod["metadata"]["name"],
                                command=("true",), tty=False)  # fmt: skip
            async with anyio.create_task_group() as tg:
                try:
                    process = await self.start(kube, target, container=default_container(pod), as_=BRIDGE,
                                               task_group=tg)  # fmt: skip
                    await process.aclose()
                except PeriscopeError as exc:  # caught inside: leaving the group would wrap it
                    outcome = exc.code
                tg.cancel_scope.cancel()
        except PeriscopeError as exc:
            outcome = exc.code
        return outcome

    async def _connect(
        self, kube: KubeClient, target: ExecTarget, *, container: str, command: Sequence[str], as_: Impersonation
    ) -> ExecStream:
        cluster = kube.cluster
        offer = self.breaker.offer(cluster, anyio.current_time())

        async def upgrade(subprotocols: Sequence[str]) -> ExecStream:
            try:
                return await kube.exec(
                    target.namespace, target.pod, command=command, container=container, stdin=True, stdout=True,
                    stderr=not target.tty, tty=target.tty, as_=as_, subprotocols=subprotocols,
                )  # fmt: skip
            except PeriscopeError as exc:
                _log.info("exec.upgrade.error cluster=%s offered=%s error=%s: %s", cluster, ",".join(subprotocols),
                          exc.code, exc.message)
                raise

        try:
            stream = await upgrade(offer)
        except PeriscopeError as exc:
            if V5 not in offer or not _upgrade_failure(exc):
                raise
            stream = await upgrade(V4_ONLY)
            if self.breaker.v5_failed(cluster, anyio.current_time()):
                _log.warning("exec.transport.pinned cluster=%s transport=ws_v4 for=%.0fs", cluster,
                             self.breaker.cooldown)
        else:
            if stream.subprotocol == V5:
                self.breaker.v5_succeeded(cluster)
        state = self.breaker.state(cluster, anyio.current_time())
        _log.info("exec.transport.choice cluster=%s transport=%s circuit_breaker=%s", cluster,
                  _transport(stream.subprotocol), "open" if state == "open" else "closed")
        return stream

