"""Run the app on uvicorn inside the caller's event loop and task group.

uvicorn is driven programmatically so that one process can also host the sandbox
fleet; its own signal handling is turned off because the caller owns SIGINT and
SIGTERM (uvicorn would otherwise re-raise them after shutting down).

The live services (watch hub, logs, exec sessions, the audit pipeline and its
database's maintenance) run for as long as the server does. When a shutdown begins,
their streams are ended first: every client gets ``server_shutdown`` and the hub waits a
bounded time for them to read it; every exec session is force-closed and writes its
``exec_close`` row. Only then does uvicorn wait for open connections,
which by that time have finished, instead of holding the shutdown until its
graceful timeout. Once uvicorn has stopped, the
audit pipeline is drained, so what the last requests audited reaches every sink.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Awaitable, Callable, Generator

import anyio
import uvicorn
from anyio.abc import TaskStatus

from periscope_core.domain.errors import PeriscopeError
from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.app import create_app
from periscope_entrypoints.http.header_timeout import with_header_timeout

__all__ = ["HttpServer"]


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, *, before_shutdown: Callable[[], Awaitable[None]]) -> None:
        super().__init__(config)
        self.listening = anyio.Event()
        self._before_shutdown = before_shutdown

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.listening.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await self._before_shutdown()
        await super().shutdown(sockets)


class HttpServer:
    """The console's HTTP listener; the socket is bound on construction so the URL is known."""

    def __init__(self, services: Services, *, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError as exc:
            self._socket.close()
            raise PeriscopeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        bound_port = self._socket.getsockname()[1]
        self._host = host
        self._identity = services.identity
        self._hub, self._logs, self._exec = services.watch_hub, services.logs, services.exec_sessions
        self._audit, self._audit_storage = services.audit, services.audit_storage
        self._agents = services.agents
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{bound_port}"
        config = uvicorn.Config(
            create_app(services), log_level="warning", access_log=False, lifespan="on",
            timeout_graceful_shutdown=10,
            # X-Forwarded-* are believed only from the auth file's trusted proxies (http.origin),
            # not from whatever uvicorn trusts by default.
            proxy_headers=False,
            # Terminal sockets carry secrets next to attacker-influenced input; compressing
            # them together is a CRIME-style side channel, and it doubles the relay's CPU.
            ws_per_message_deflate=False,
            # A request head must arrive within a deadline (slowloris); uvicorn has none of its own.
            http=with_header_timeout(services.settings.header_timeout),
        )
        self._server = _Server(config, before_shutdown=self._end_streams)

    async def serve(self, *, task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED) -> None:
        """Serve until ``stop()``; reports the URL through ``task_status`` once accepting.

        Sign-in is opened first (OIDC discovery, the session store), so a server that
        cannot sign anybody in never starts; raises what ``Identity.open`` raises.
        """
        try:
            await self._identity.open(host=self._host)
        except BaseException:
            self._socket.close()
            raise
        async with self._hub, self._logs, anyio.create_task_group() as tg:
            if not self._audit.running:  # an embedding app may run the pipeline itself
                await tg.start(self._audit.run)
            maintenance = anyio.CancelScope()
            tg.start_soon(self._maintain_audit, maintenance)
            tg.start_soon(self._report_started, task_status)
            tg.start_soon(self._identity.purge_periodically)
            if self._agents is not None:
                # Before the console reports itself started, so agents can dial as soon as it does.
                await tg.start(self._agents.serve)
            try:
                await self._server.serve(sockets=[self._socket])
            finally:
                # Maintenance stops first: it must not reopen the database the pipeline closes.
                maintenance.cancel()
                await self._audit.aclose()
                tg.cancel_scope.cancel()
                self._socket.close()

    async def _maintain_audit(self, scope: anyio.CancelScope) -> None:
        with scope:
            if self._audit_storage is not None:
                await self._audit_storage.maintain()

    async def _end_streams(self) -> None:
        await self._logs.aclose()
        await self._hub.aclose()
        await self._exec.aclose()

    async def _report_started(self, task_status: TaskStatus[str]) -> None:
        await self._server.listening.wait()
        task_status.started(self.url)

    def stop(self) -> None:
        """Begin a graceful shutdown; a second call stops without waiting for open connections."""
        if self._server.should_exit:
            self._server.force_exit = True
        self._server.should_exit = True
