"""The hub's agent support, when this console serves agent clusters: CA, listener, tunnels, bootstrap tokens.

It is on when ``PERISCOPE_AGENT_LISTEN_ADDR`` is set (``[host]:port``) or any registry entry
has ``backend: agent`` (then on ``:8443``, as the original). The CA lives in the data
directory; the listener's certificate carries ``PERISCOPE_AGENT_TUNNEL_SANS`` and is
renewed while the server runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import anyio
from anyio.abc import TaskStatus

from periscope_core.domain.clusters import ClusterEntry
from periscope_core.domain.errors import ConfigError, ConfigProblem
from periscope_core.ports.backends import ClusterBackend
from periscope_core.services.agent_tokens import BootstrapTokens
from periscope_entrypoints.settings import Settings

__all__ = ["AgentHub", "agent_hub"]

_log = logging.getLogger("periscope.tunnel")
_DEFAULT_ADDR = ":8443"
_RENEW_CHECK = 6 * 3600.0


def _split_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise ConfigError([ConfigProblem(file="environment", field="PERISCOPE_AGENT_LISTEN_ADDR",
                                         message=f"not [host]:port: {addr!r}")])  # fmt: skip
    return host.strip("[]") or "0.0.0.0", number


class AgentHub:
    """Built by ``agent_hub``; the HTTP server runs ``serve`` beside the console."""

    def __init__(self, settings: Settings, is_agent_cluster: Callable[[str], bool], backend: ClusterBackend) -> None:
        # Imported here: the agent adapter's cryptography and aiohttp are only needed when agents are.
        from periscope_adapters.agent import AgentBackend, AgentCa, TunnelListener

        if not isinstance(backend, AgentBackend):
            raise ConfigError([ConfigProblem(file="backends", message="the agent backend is not Periscope's own")])
        host, port = _split_addr(settings.agent_listen_addr or _DEFAULT_ADDR)
        self.ca = AgentCa.load_or_create(settings.data_dir)
        self.backend = backend
        self._ssl = self.ca.server_ssl_context(settings.agent_tunnel_sans)
        self.listener = TunnelListener(self.backend.tunnels, self._ssl, is_agent_cluster=is_agent_cluster,
                                       host=host, port=port)  # fmt: skip
        self.is_agent_cluster = is_agent_cluster
        self.tokens = BootstrapTokens()

    async def serve(self, *, task_status: TaskStatus[int] = anyio.TASK_STATUS_IGNORED) -> None:
        """The listener, and the renewal of its certificate, until cancelled."""
        async with anyio.create_task_group() as tg:
            port = await tg.start(self.listener.serve)
            task_status.started(port)
            while True:
                await anyio.sleep(_RENEW_CHECK)
                if self.ca.renew_if_due(self._ssl):
                    _log.info("tunnel.certificate_renewed")


def agent_hub(
    settings: Settings, entries: list[ClusterEntry], backends: Mapping[str, ClusterBackend]
) -> AgentHub | None:
    """The hub's agent support (on the directory's own agent backend), or None when nothing asks for it."""
    agents = {entry.name for entry in entries if entry.backend == "agent"}
    if not settings.agent_listen_addr and not agents:
        return None
    backend = backends.get("agent")
    if backend is None:
        message = "agent clusters need the agent backend (pip install 'periscope[agent]')"
        raise ConfigError([ConfigProblem(file="environment", field="PERISCOPE_AGENT_LISTEN_ADDR", message=message)])
    return AgentHub(settings, agents.__contains__, backend)
