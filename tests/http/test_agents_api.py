"""Agent onboarding over real HTTP: an admin mints a token, an agent registers, its tunnel serves the cluster.

A console in tier mode runs next to the session's, signing people in at a real
OpenID provider: Alice in the admin tier, Bob in the read tier. Its registry is the
sandbox fleet's plus ``prod-eu``, a cluster reached only through an agent, and its
tunnel listener is on a free loopback port. The onboarding run goes the whole way: a
TLS front with a certificate no system root vouches for (topology C), registration
pinned to it, then the agent's dialer with the issued identity, relaying to the
sandbox's ``prod`` cluster as its own service account would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml
from anyio.abc import ByteStream, SocketAttribute
from anyio.streams.tls import TLSListener, TLSStream
from auth_peers import Browser, run_idp
from cryptography import x509
from cryptography.x509.oid import NameOID
from live_peers import LiveConsole, eventually, oidc_console, signed_in

from periscope_adapters.agent import AgentCa, AgentDialer, Issued, new_csr, spki_sha256
from periscope_adapters.agent.registration import RegistrationFailed, load_state, register, save_state
from periscope_adapters.kube import KubeconfigBackend
from periscope_core.domain.audit import AuditEvent
from periscope_core.domain.clusters import ClusterEntry
from periscope_core.ports.backends import BackendContext
from periscope_entrypoints.agent_hub import AgentHub

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's authlib, on its thread

AGENT = "prod-eu"
USERS = {
    "alice": {"email": "alice@example.com", "groups": ["sre"]},
    "bob": {"email": "bob@example.com", "groups": ["devs"]},
}


@pytest.fixture(scope="module")
def hub(console: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    workdir = tmp_path_factory.mktemp("agents")
    registry: dict[str, Any] = yaml.safe_load((console.workdir / "clusters.yaml").read_text())
    registry["clusters"].append({"name": AGENT, "backend": "agent", "environment": "prod"})
    (workdir / "clusters.yaml").write_text(yaml.safe_dump(registry))
    authorization = {"mode": "tier", "groupTiers": {"sre": "admin", "devs": "read"}}
    with run_idp(USERS) as idp, oidc_console(console, workdir, idp, authorization,
                                             clusters_file=str(workdir / "clusters.yaml"),
                                             agent_listen_addr="127.0.0.1:0",
                                             agent_tunnel_sans=("127.0.0.1",)) as running:  # fmt: skip
        yield running


@pytest.fixture(scope="module")
def people(hub: LiveConsole) -> Iterator[dict[str, Browser]]:
    browsers = {sub: Browser(hub.url) for sub in USERS}
    for sub, browser in browsers.items():
        assert browser.sign_in(sub).status_code == 302
    yield browsers
    for browser in browsers.values():
        browser.close()


def mint(people: dict[str, Browser], cluster: str = AGENT, who: str = "alice") -> httpx.Response:
    return people[who].post("/api/agents/tokens", json={"cluster": cluster})


def agent_post(hub: LiveConsole, body: dict[str, str]) -> httpx.Response:
    """What an agent sends: no session, no Origin, no CSRF token."""
    return httpx.post(f"{hub.url}/api/agents/register", json=body, timeout=20)


def audited(hub: LiveConsole, verb: str, outcome: str) -> list[AuditEvent]:
    return [e for e in hub.audit.events if e.verb == verb and e.outcome == outcome]


def soon(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``check`` (audit rows are written in the background) until it holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not true in time"
        time.sleep(0.02)


def agents(hub: LiveConsole) -> AgentHub:
    assert hub.services.agents is not None
    return hub.services.agents


def issued(cert_pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(cert_pem.encode())


def test_an_admin_mints_a_token_an_agent_registers_with_once(hub: LiveConsole, people: dict[str, Browser]) -> None:
    minted = mint(people)
    assert minted.status_code == 200, minted.text
    assert minted.headers["cache-control"] == "no-store"
    token = minted.json()["token"]
    assert minted.json()["cluster"] == AGENT
    assert minted.json()["expiresAt"].endswith("Z")
    # The CSR asks for another cluster: the certificate is for the token's, whatever the CSR says.
    csr = new_csr("staging")
    registered = agent_post(hub, {"token": token, "cluster": AGENT, "csr": csr.cert_pem.decode()})
    assert registered.status_code == 200, registered.text
    cert, ca = issued(registered.json()["certificate"]), issued(registered.json()["caBundle"])
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == AGENT
    assert registered.json()["caBundle"].encode() == agents(hub).ca.ca_pem
    cert.verify_directly_issued_by(ca)
    replay = agent_post(hub, {"token": token, "cluster": AGENT, "csr": csr.cert_pem.decode()})
    assert (replay.status_code, replay.json()["error"]) == (401, "E_AGENT_TOKEN_USED")

    soon(lambda: bool(audited(hub, "agent_register", "denied")))
    assert audited(hub, "agent_token_mint", "success")[-1].actor.sub == "alice"
    assert {(e.actor.sub, e.cluster) for e in audited(hub, "agent_register", "success")} >= {(f"agent:{AGENT}", AGENT)}


def test_a_token_tried_for_another_cluster_is_burnt(hub: LiveConsole, people: dict[str, Browser]) -> None:
    token = mint(people).json()["token"]
    csr = new_csr(AGENT).cert_pem.decode()
    wrong = agent_post(hub, {"token": token, "cluster": "prod", "csr": csr})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "E_AGENT_TOKEN_CLUSTER_MISMATCH")
    right = agent_post(hub, {"token": token, "cluster": AGENT, "csr": csr})
    assert (right.status_code, right.json()["error"]) == (401, "E_AGENT_TOKEN_USED")
    unknown = agent_post(hub, {"token": "made-up", "cluster": AGENT, "csr": csr})
    assert (unknown.status_code, unknown.json()["error"]) == (401, "E_AGENT_TOKEN_UNKNOWN")


def test_only_an_admin_mints_and_only_for_an_agent_cluster(hub: LiveConsole, people: dict[str, Browser]) -> None:
    refused = mint(people, who="bob")
    assert (refused.status_code, refused.json()["error"]) == (403, "E_ADMIN_REQUIRED")
    for cluster in ("prod", "nowhere"):  # a kubeconfig cluster, and no cluster at all
        bad = mint(people, cluster=cluster)
        assert (bad.status_code, bad.json()["error"]) == (400, "E_INVALID_REQUEST"), cluster
    anonymous = httpx.post(f"{hub.url}/api/agents/tokens", json={"cluster": AGENT})
    assert anonymous.status_code == 401
    # A cookie-carrying POST without the session's CSRF token is refused (ADR 0009).
    forged = people["alice"].http.post("/api/agents/tokens", json={"cluster": AGENT})
    assert forged.status_code == 403
    soon(lambda: any(e.actor.sub == "bob" for e in audited(hub, "agent_token_mint", "denied")))


def test_registration_refuses_oversized_and_malformed_requests(hub: LiveConsole, people: dict[str, Browser]) -> None:
    huge = agent_post(hub, {"token": "t", "cluster": AGENT, "csr": "x" * (256 * 1024)})
    assert huge.status_code == 413
    named = agent_post(hub, {"token": "t", "cluster": "Not A Name", "csr": "x"})
    assert (named.status_code, named.json()["error"]) == (400, "E_INVALID_REQUEST")
    token = mint(people).json()["token"]
    garbled = agent_post(hub, {"token": token, "cluster": AGENT, "csr": "not a CSR"})
    assert (garbled.status_code, garbled.json()["error"]) == (400, "E_INVALID_REQUEST")


def test_a_console_without_agents_answers_404(http: httpx.Client) -> None:
    for path, body in (("/api/agents/tokens", {"cluster": "prod"}),
                       ("/api/agents/register", {"token": "t", "cluster": "prod", "csr": "x"})):  # fmt: skip
        response = http.post(path, json=body)
        assert (response.status_code, response.json()["error"]) == (404, "E_AGENTS_DISABLED"), path


# -- the whole onboarding --------------------------------------------------------------------


def _server_context(identity: Issued) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "front.pem")
        Path(path).write_bytes(identity.cert_pem + identity.key_pem)
        ctx.load_cert_chain(path)
    return ctx


@contextlib.asynccontextmanager
async def tls_front(console_url: str, identity: Issued) -> AsyncIterator[str]:
    """A TLS-terminating load balancer in front of the console, as in topology C; its https URL."""
    host, port = console_url.removeprefix("http://").rsplit(":", 1)

    async def serve(client: TLSStream) -> None:
        async with client, await anyio.connect_tcp(host, int(port)) as upstream, anyio.create_task_group() as tg:

            async def pipe(source: ByteStream, sink: ByteStream) -> None:
                # Either side closing ends the connection (the console answers with Connection: close).
                with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                    async for chunk in source:
                        await sink.send(chunk)
                tg.cancel_scope.cancel()

            tg.start_soon(pipe, client, upstream)
            tg.start_soon(pipe, upstream, client)

    tcp = await anyio.create_tcp_listener(local_host="127.0.0.1")
    listening = tcp.extra(SocketAttribute.local_port)
    async with TLSListener(tcp, _server_context(identity), standard_compatible=False) as listener, \
            anyio.create_task_group() as tg:  # fmt: skip
        tg.start_soon(listener.serve, serve)
        yield f"https://127.0.0.1:{listening}"
        tg.cancel_scope.cancel()


async def _fleet_status(client: httpx.AsyncClient, cluster: str) -> str:
    body = (await client.get("/api/fleet")).json()
    status: str = next(c["status"] for c in body["clusters"] if c["name"] == cluster)
    return status


async def test_an_agent_onboards_and_its_cluster_is_served_through_the_tunnel(
    hub: LiveConsole, people: dict[str, Browser], tmp_path: Path
) -> None:
    token = mint(people).json()["token"]
    front = AgentCa.create().issue_server(["127.0.0.1"])
    pin = spki_sha256(front.cert_pem)
    async with tls_front(hub.url, front) as registration_url:
        # No pin: the front's certificate must chain to a system root, and does not.
        with pytest.raises(RegistrationFailed, match="CERTIFICATE_VERIFY_FAILED"):
            await register(registration_url, token, AGENT)
        # A wrong pin is refused before the token is sent: the same token still registers below.
        wrong = "sha256:" + "0" * 64
        with pytest.raises(RegistrationFailed, match=f"server presented {pin}, expected {wrong}"):
            await register(registration_url, token, AGENT, server_ca_hash=wrong)
        state = await register(registration_url, token, AGENT, server_ca_hash=pin)
    save_state(tmp_path / "state", state)
    assert load_state(tmp_path / "state") == state
    assert (tmp_path / "state" / "client.key").stat().st_mode & 0o777 == 0o600

    entry = ClusterEntry(name=AGENT, backend="kubeconfig", kubeconfigPath=str(hub.kubeconfig),
                         kubeconfigContext="prod-periscope")  # fmt: skip
    upstream = await KubeconfigBackend().connect(entry, BackendContext())
    port = agents(hub).listener.port
    dialer = AgentDialer(f"wss://127.0.0.1:{port}", state.ssl_context(), upstream, backoff_base=0.05,
                         backoff_ceiling=0.2)  # fmt: skip
    alice = await signed_in(hub, "alice")
    try:
        async with anyio.create_task_group() as tg:
            await tg.start(dialer.run)
            with anyio.fail_after(10):
                await dialer.wait_connected()
            through_agent = await alice.get(f"/api/clusters/{AGENT}/pods", params={"namespace": "payments"})
            direct = await alice.get("/api/clusters/prod/pods", params={"namespace": "payments"})
            assert through_agent.status_code == 200, through_agent.text
            names = sorted(p["name"] for p in through_agent.json()["items"])
            assert names
            assert names == sorted(p["name"] for p in direct.json()["items"])
            prod = await _fleet_status(alice, "prod")

            async def served() -> bool:
                return await _fleet_status(alice, AGENT) == prod

            await eventually(served, timeout=15)
            assert prod in ("healthy", "degraded")
            tg.cancel_scope.cancel()

        async def gone() -> bool:
            return await _fleet_status(alice, AGENT) == "unreachable"

        await eventually(gone, timeout=20)
    finally:
        await alice.aclose()
        await upstream.aclose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_agent_command_registers_once_then_reconnects_with_its_state(
    hub: LiveConsole, people: dict[str, Browser], tmp_path: Path
) -> None:
    variables = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PERISCOPE_")},
        "PERISCOPE_SERVER_URL": f"wss://127.0.0.1:{agents(hub).listener.port}",
        "PERISCOPE_REGISTRATION_URL": hub.url,  # plain http is fine on loopback
        "PERISCOPE_CLUSTER_NAME": AGENT,
        "PERISCOPE_AGENT_STATE_DIR": str(tmp_path / "state"),
        "PERISCOPE_AGENT_HEALTH_ADDR": f"127.0.0.1:{_free_port()}",
    }
    command = [str(Path(sys.executable).parent / "periscope"), "agent", "--kubeconfig", str(hub.kubeconfig),
               "--context", "prod-periscope"]  # fmt: skip
    token = mint(people).json()["token"]

    def serves() -> bool:
        response = people["alice"].http.get(f"/api/clusters/{AGENT}/pods", params={"namespace": "payments"})
        return response.status_code == 200

    logs = []
    probes = httpx.Client(base_url="http://" + variables["PERISCOPE_AGENT_HEALTH_ADDR"], timeout=5)
    for extra in ({"PERISCOPE_REGISTRATION_TOKEN": token}, {}):
        agent = subprocess.Popen(command, env={**variables, **extra}, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            soon(serves, timeout=20)
            assert probes.get("/readyz").json() == {"status": "ok", "tunnel": "connected"}
            assert probes.get("/healthz").status_code == 200
            agent.send_signal(signal.SIGTERM)
            _, stderr = agent.communicate(timeout=20)
        finally:
            agent.kill()
        assert agent.returncode == 0, stderr
        logs.append(stderr)
    probes.close()
    assert "agent registration complete" in logs[0]
    # The second start found the state: it did not register again (the token is spent anyway).
    assert "first boot" not in logs[1]
    assert "tunnel.client_connected" in logs[1]
