"""The agent backend: managed clusters that dial out to the hub over a mutual-TLS WebSocket tunnel.

``hub`` is the console's side (listener, live tunnels, the ``agent`` backend), ``client``
the agent's (dialer and relay), ``registration`` the agent's first boot (token for
certificate), ``pki`` the deployment's CA and certificates.
"""

from periscope_adapters.agent.client import AgentDialer, backoff_delay
from periscope_adapters.agent.health import AgentHealth
from periscope_adapters.agent.hub import AgentBackend, TunnelListener, Tunnels, WebSocketTunnel
from periscope_adapters.agent.pki import AgentCa, Issued, client_ssl_context, new_csr, spki_sha256

__all__ = [
    "AgentBackend",
    "AgentCa",
    "AgentDialer",
    "AgentHealth",
    "Issued",
    "TunnelListener",
    "Tunnels",
    "WebSocketTunnel",
    "backoff_delay",
    "client_ssl_context",
    "new_csr",
    "spki_sha256",
]
