"""``periscope agent``: run beside a managed cluster, register once, then keep the tunnel to the console open.

Configured from the environment, as the original agent:

- ``PERISCOPE_SERVER_URL`` (required): the console's tunnel listener, ``wss://host:port``;
- ``PERISCOPE_CLUSTER_NAME`` (required): the registry name, a DNS-1123 label;
- ``PERISCOPE_REGISTRATION_TOKEN``: the bootstrap token, needed on first boot only;
- ``PERISCOPE_REGISTRATION_URL``: where to register (default: the server URL as https);
- ``PERISCOPE_SERVER_CA_HASH``: ``sha256:<hex>`` SPKI pin of the registration endpoint;
- ``PERISCOPE_AGENT_STATE_DIR``: where the identity is kept (``/var/lib/periscope-agent``);
- ``PERISCOPE_AGENT_HEALTH_ADDR``: the probes' ``[host]:port`` (``:8081``; ``/healthz``, and ``/readyz``
  which answers 503 while the tunnel is down), or ``off``;
- ``PERISCOPE_LOG_LEVEL``: ``debug``, ``info`` (default), ``warn`` or ``error``.

The cluster is reached as the pod's service account, or through ``--kubeconfig``
(and ``--context``) when the agent runs elsewhere.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import msgspec

from periscope_core.domain.clusters import ClusterEntry, is_cluster_name
from periscope_core.ports.backends import BackendContext
from periscope_core.ports.transport import ClusterTransport
from periscope_entrypoints.cli.errors import UsageError
from periscope_entrypoints.cli.running import until_signal

if TYPE_CHECKING:
    from periscope_adapters.agent.registration import AgentState

__all__ = ["AgentConfig", "agent_config", "register"]

_log = logging.getLogger("periscope.agent")
DEFAULT_STATE_DIR = "/var/lib/periscope-agent"
_HEALTH = ":8081"
_PIN = re.compile(r"sha256:[0-9a-f]{64}")
_LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}


class AgentConfig(msgspec.Struct, frozen=True):
    server_url: str
    cluster: str
    registration_url: str
    token: str
    server_ca_hash: str | None
    state_dir: Path
    log_level: int
    health: tuple[str, int] | None


def register(commands: Any) -> None:  # argparse's subparsers action has no public type
    p = commands.add_parser("agent", help="run the agent of a managed cluster (configured by PERISCOPE_* variables)")
    p.add_argument("--kubeconfig", metavar="PATH", help="reach the cluster with this kubeconfig, not in-cluster")
    p.add_argument("--context", metavar="NAME", help="the kubeconfig context (default: its current-context)")
    p.set_defaults(run=agent)


def _url(name: str, text: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(text)
    if parts.scheme not in schemes or not parts.hostname:
        raise UsageError(f"{name} must be {' or '.join(f'{s}://' for s in schemes)}host[:port], not {text!r}")
    return text


def agent_config(environ: Mapping[str, str]) -> AgentConfig:
    """The agent's settings; raises UsageError naming the first variable that is missing or malformed."""
    server = environ.get("PERISCOPE_SERVER_URL", "").strip()
    if not server:
        raise UsageError("PERISCOPE_SERVER_URL is required: the console's tunnel listener, wss://host:port")
    _url("PERISCOPE_SERVER_URL", server, ("wss", "https"))
    cluster = environ.get("PERISCOPE_CLUSTER_NAME", "").strip()
    if not cluster:
        raise UsageError("PERISCOPE_CLUSTER_NAME is required: this cluster's name in the console's registry")
    if not is_cluster_name(cluster):
        raise UsageError(f"PERISCOPE_CLUSTER_NAME must be a DNS-1123 label (a-z, 0-9 and '-'), not {cluster!r}")
    registration = environ.get("PERISCOPE_REGISTRATION_URL", "").strip()
    registration = _url("PERISCOPE_REGISTRATION_URL", registration, ("https", "http")) if registration else \
        urlunsplit(urlsplit(server)._replace(scheme="https"))  # fmt: skip
    pin = environ.get("PERISCOPE_SERVER_CA_HASH", "").strip().lower() or None
    if pin is not None and not _PIN.fullmatch(pin):
        raise UsageError("PERISCOPE_SERVER_CA_HASH must be sha256:<64 hex digits>, the SPKI hash of the console's "
                         "certificate")  # fmt: skip
    if pin is not None and registration.startswith("http://"):
        raise UsageError("PERISCOPE_SERVER_CA_HASH pins a TLS certificate: PERISCOPE_REGISTRATION_URL must be https")
    level = environ.get("PERISCOPE_LOG_LEVEL", "").strip().lower() or "info"
    if level not in _LOG_LEVELS:
        raise UsageError(f"PERISCOPE_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, not {level!r}")
    return AgentConfig(server_url=server, cluster=cluster, registration_url=registration,
                       token=environ.get("PERISCOPE_REGISTRATION_TOKEN", "").strip(), server_ca_hash=pin,
                       state_dir=Path(environ.get("PERISCOPE_AGENT_STATE_DIR", "") or DEFAULT_STATE_DIR),
                       log_level=_LOG_LEVELS[level],
                       health=_health_addr(environ.get("PERISCOPE_AGENT_HEALTH_ADDR", "") or _HEALTH))  # fmt: skip


def _health_addr(text: str) -> tuple[str, int] | None:
    text = text.strip()
    if text.lower() == "off":
        return None
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"PERISCOPE_AGENT_HEALTH_ADDR must be [host]:port or off, not {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


async def _register(config: AgentConfig) -> AgentState:
    """First boot: trade the token for an identity, and persist it."""
    from periscope_adapters.agent import registration

    _log.info("first boot: registering with %s", config.registration_url)
    state = await registration.register(config.registration_url, config.token, config.cluster,
                                        server_ca_hash=config.server_ca_hash)  # fmt: skip
    registration.save_state(config.state_dir, state)
    _log.info("agent registration complete; state persisted in %s", config.state_dir)
    return state


async def _upstream(args: argparse.Namespace, cluster: str) -> ClusterTransport:
    """The agent's own way to its apiserver: the service account, or a kubeconfig context."""
    from periscope_adapters.kube import InClusterBackend, KubeconfigBackend

    if args.kubeconfig:
        entry = ClusterEntry(name=cluster, backend="kubeconfig", kubeconfigPath=args.kubeconfig,
                             kubeconfigContext=args.context or "")  # fmt: skip
        return await KubeconfigBackend().connect(entry, BackendContext(registry_dir="."))
    return await InClusterBackend().connect(ClusterEntry(name=cluster, backend="in-cluster"), BackendContext())


async def agent(args: argparse.Namespace) -> int:
    """Register if this is the first boot, then hold the tunnel open until SIGINT or SIGTERM."""
    config = agent_config(os.environ)
    if args.context and not args.kubeconfig:
        raise UsageError("--context needs --kubeconfig")
    # Imported here: the agent's TLS and WebSocket libraries are the agent extra.
    from periscope_adapters.agent import AgentDialer, AgentHealth
    from periscope_adapters.agent.registration import load_state

    state = load_state(config.state_dir)
    if state is None and not config.token:
        raise UsageError(f"no agent state in {config.state_dir} and no PERISCOPE_REGISTRATION_TOKEN to register "
                         "with: mint one in the console (POST /api/agents/tokens)")  # fmt: skip
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _log.info("periscope-agent starting cluster=%s server=%s", config.cluster, config.server_url)
    state = state or await _register(config)
    _log.info("agent identity ready")
    upstream = await _upstream(args, config.cluster)
    try:
        _log.info("opening tunnel to %s", config.server_url)
        dialer = AgentDialer(config.server_url, state.ssl_context(), upstream)
        async with anyio.create_task_group() as tg:
            if config.health is not None:
                host, port = config.health
                await tg.start(AgentHealth(dialer, host=host, port=port).serve)
            await tg.start(dialer.run)
            await until_signal()
            tg.cancel_scope.cancel()
    finally:
        await upstream.aclose()
    return 0
