"""Agent onboarding: an admin mints a bootstrap token, the agent trades it for its certificate.

``POST /api/agents/tokens`` needs an audit admin (``auditAdminGroups``, or the admin
tier) and a registry entry with ``backend: agent``. ``POST /api/agents/register`` has no
session: the token is the credential, spent by the call (also when it has expired or
names another cluster), and the certificate is issued for the cluster the token names,
whatever the CSR asked for.
Both answer a JSON 404 ``E_AGENTS_DISABLED`` when this console serves no agents.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from periscope_core.domain.audit import ResourceRef
from periscope_core.domain.authz import is_audit_admin
from periscope_core.domain.clusters import is_cluster_name
from periscope_core.domain.errors import InvalidRequest, PeriscopeError
from periscope_core.domain.identity import BRIDGE, Principal
from periscope_core.services.agent_tokens import MintedToken
from periscope_entrypoints.agent_hub import AgentHub
from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.controllers.editing import NO_STORE, AnyRequest, audited
from periscope_entrypoints.http.deps import Caller
from periscope_entrypoints.http.params import CallerDep, ServicesDep
from periscope_entrypoints.http.session_gate import SESSION_OPT

__all__ = ["AgentsController", "AgentsDisabled"]

MAX_REGISTRATION_BYTES = 256 * 1024


class AgentsDisabled(PeriscopeError):
    code = "E_AGENTS_DISABLED"
    http_status = 404

    def __init__(self) -> None:
        super().__init__("this console serves no agent clusters (no backend: agent, no PERISCOPE_AGENT_LISTEN_ADDR)")


class AdminRequired(PeriscopeError):
    code = "E_ADMIN_REQUIRED"
    http_status = 403

    def __init__(self) -> None:
        super().__init__("minting agent bootstrap tokens takes an admin (the admin tier or auditAdminGroups)")


class MintRequest(msgspec.Struct, frozen=True):
    cluster: str


class RegisterRequest(msgspec.Struct, frozen=True):
    token: str
    cluster: str
    csr: str
    """The agent's certificate request, PEM."""


class Registration(msgspec.Struct, frozen=True):
    certificate: str
    """The agent's client certificate, PEM."""
    caBundle: str
    """The deployment's agent CA, PEM: the only root the agent trusts for the tunnel."""


def _hub(services: Services) -> AgentHub:
    if services.agents is None:
        raise AgentsDisabled()
    return services.agents


def _check_name(cluster: str) -> None:
    # Before auditing: whatever is written to the audit log is a well-formed name.
    if not is_cluster_name(cluster):
        raise InvalidRequest("cluster must be a DNS-1123 label (at most 63 characters of a-z, 0-9 and '-')")


class AgentsController(Controller):
    path = "/api/agents"
    tags = ["agents"]

    @post("/tokens", operation_id="mintAgentToken", status_code=HTTP_200_OK, response_headers=NO_STORE)
    async def mint(
        self, request: AnyRequest, services: ServicesDep, caller: CallerDep, data: JSONBody[MintRequest]
    ) -> MintedToken:
        """A single-use bootstrap token for one agent cluster, valid 15 minutes; audited as ``agent_token_mint``.

        Args:
            request: The request (for its id).
            services: The application services.
            caller: Who is asking: an audit admin.
            data: ``cluster``: a registry entry with ``backend: agent``.

        Returns:
            ``{token, cluster, expiresAt}``; the token is not kept and cannot be shown again.
        """
        hub = _hub(services)
        _check_name(data.cluster)
        with audited(services, caller, request, verb="agent_token_mint", cluster=data.cluster,
                     resource=ResourceRef()):  # fmt: skip
            if not is_audit_admin(caller.principal, services.identity.config.authorization):
                raise AdminRequired()
            if not hub.is_agent_cluster(data.cluster):
                raise InvalidRequest(f"{data.cluster!r} is not a cluster with backend: agent in the registry")
            return hub.tokens.mint(data.cluster)

    @post("/register", operation_id="registerAgent", status_code=HTTP_200_OK, response_headers=NO_STORE,
          opt={SESSION_OPT: "public"}, request_max_body_size=MAX_REGISTRATION_BYTES)  # fmt: skip
    async def register(
        self, request: AnyRequest, services: ServicesDep, data: JSONBody[RegisterRequest]
    ) -> Registration:
        """Trade a bootstrap token and a CSR for the agent's client certificate; audited as ``agent_register``.

        Args:
            request: The request (for its id).
            services: The application services.
            data: ``token``, ``cluster`` (the one the token was minted for) and ``csr`` (PEM).

        Returns:
            ``{certificate, caBundle}`` (PEM). A token that is unknown, spent, expired or for
            another cluster is refused with 401 and a code saying which.
        """
        hub = _hub(services)
        _check_name(data.cluster)
        agent = Caller(principal=Principal(subject=f"agent:{data.cluster}"), as_=BRIDGE)
        with audited(services, agent, request, verb="agent_register", cluster=data.cluster, resource=ResourceRef()):
            # The token is spent before the CSR is read: nothing is signed for an unproven caller.
            cluster = hub.tokens.redeem(data.token, data.cluster)
            certificate = hub.ca.sign_csr(data.csr.encode(), cluster=cluster)
        return Registration(certificate=certificate.decode(), caBundle=hub.ca.ca_pem.decode())
