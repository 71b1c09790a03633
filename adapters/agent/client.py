"""The agent's end: dial the hub's tunnel listener, answer its requests from this cluster, and keep dialing.

The agent only ever dials out (no inbound access to the managed cluster), presenting its
client certificate and trusting only the hub's CA. Each request the hub opens is made
with the agent's own transport to its apiserver (``relay``). After a drop it dials again
with full-jitter exponential backoff, back to the base delay once a tunnel had stayed up
for a while, so a hub restart is not met by every agent in the same second.
"""

from __future__ import annotations

import logging
import random
import ssl
from functools import partial

import aiohttp
import anyio
from anyio.abc import TaskStatus

from periscope_adapters.agent.hub import TUNNEL_PATH, WebSocketTunnel
from periscope_core.ports.transport import ClusterTransport
from periscope_core.protocols.tunnel import MAX_FRAME
from periscope_core.services.tunnel import TunnelSession
from periscope_core.services.tunnel_transport import relay

__all__ = ["AgentDialer", "backoff_delay"]

_log = logging.getLogger("periscope.agent")


def backoff_delay(attempt: int, *, base: float, ceiling: float, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(ceiling, base * 2**attempt)]."""
    return rng.uniform(0, min(ceiling, base * 2**attempt))


class AgentDialer:
    """``run()`` until cancelled; ``connected`` says whether a tunnel is up now (readiness)."""

    def __init__(
        self,
        server_url: str,
        ssl_context: ssl.SSLContext,
        upstream: ClusterTransport,
        *,
        backoff_base: float = 1.0,
        backoff_ceiling: float = 30.0,
        healthy_after: float = 60.0,
        ping_interval: float = 20.0,
        ping_timeout: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        self._url = server_url.rstrip("/").replace("https://", "wss://", 1) + TUNNEL_PATH
        self._ssl, self._upstream = ssl_context, upstream
        self._base, self._ceiling, self._healthy_after = backoff_base, backoff_ceiling, healthy_after
        self._ping_interval, self._ping_timeout = ping_interval, ping_timeout
        self._rng = rng or random.Random()
        self.connected = False
        self.attempts = 0
        """Failed dials (or short-lived tunnels) since the last healthy one."""
        self._up: anyio.Event | None = None

    async def wait_connected(self) -> None:
        while not self.connected:
            self._up = self._up or anyio.Event()
            await self._up.wait()

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=10)) as http:
            while True:
                up_for = await self._once(http)
                self.attempts = 0 if up_for >= self._healthy_after else self.attempts + 1
                delay = backoff_delay(self.attempts, base=self._base, ceiling=self._ceiling, rng=self._rng)
                _log.info("tunnel.redial in=%.1fs attempt=%d", delay, self.attempts)
                await anyio.sleep(delay)

    async def _once(self, http: aiohttp.ClientSession) -> float:
        """One tunnel, dialled and served until it drops; how long it stayed up (0 when dialing failed)."""
        try:
            ws = await http.ws_connect(self._url, ssl=self._ssl, max_msg_size=MAX_FRAME, autoping=True)
        except (aiohttp.ClientError, OSError, ssl.SSLError) as exc:
            _log.warning("tunnel.dial_failed url=%s error=%s", self._url, exc)
            return 0.0
        session = TunnelSession(WebSocketTunnel(ws), "agent", on_open=partial(relay, self._upstream),
                                ping_interval=self._ping_interval, ping_timeout=self._ping_timeout)  # fmt: skip
        started = anyio.current_time()
        self.connected = True
        if self._up is not None:
            self._up.set()
            self._up = None
        _log.info("tunnel.client_connected url=%s", self._url)
        try:
            await session.run()
        finally:
            self.connected = False
            _log.info("tunnel.client_disconnected reason=%s", session.end_reason or "closed")
        return anyio.current_time() - started
