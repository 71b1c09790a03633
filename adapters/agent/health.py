"""The agent's probes: ``/healthz`` while the process runs, ``/readyz`` only while its tunnel is up.

The original agent reported healthy once registered, tunnel or not, so a broken agent
looked fine; readiness here follows the tunnel (G12).
"""

from __future__ import annotations

import anyio
from aiohttp import web
from anyio.abc import TaskStatus

from periscope_adapters.agent.client import AgentDialer

__all__ = ["AgentHealth"]


class AgentHealth:
    def __init__(self, dialer: AgentDialer, *, host: str = "0.0.0.0", port: int = 8081) -> None:
        self._dialer = dialer
        self._host, self.port = host, port

    async def serve(self, *, task_status: TaskStatus[int] = anyio.TASK_STATUS_IGNORED) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._live)
        app.router.add_get("/readyz", self._ready)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self.port).start()
            if self.port == 0:
                self.port = int(runner.addresses[0][1])
            task_status.started(self.port)
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                await runner.cleanup()

    async def _live(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _ready(self, _: web.Request) -> web.Response:
        if self._dialer.connected:
            return web.json_response({"status": "ok", "tunnel": "connected"})
        return web.json_response({"status": "unavailable", "tunnel": "disconnected",
                                  "attempts": self._dialer.attempts}, status=503)  # fmt: skip
