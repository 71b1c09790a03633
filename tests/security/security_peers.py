"""Peers for the attack and fault tests: consoles whose apiserver calls are recorded, an IdP whose tokens are kept.

A recorded console is the real app on uvicorn over the session's sandbox fleet, reached
through the kubeconfig backend exactly as ``periscope serve`` reaches it. The backend is
wrapped: every request the console sends a cluster (REST or WebSocket) is noted with its
headers, then goes on unchanged to the sandbox apiserver. Each call carries the console
request's id as ``Audit-ID``, so "no upstream call" and "the cluster only saw server-built
impersonation" are read off the record for one request id, whatever else runs meanwhile.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import werkzeug.serving
import yaml
from anyio.from_thread import start_blocking_portal
from auth_peers import Idp, auth_file

from periscope_adapters.kube.kubeconfig import KubeconfigBackend
from periscope_core.domain.clusters import ClusterEntry
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.ports.transport import ChannelSocket, ClusterTransport, KubeRequest, KubeResponse
from periscope_core.services.audit import AuditPipeline
from periscope_core.testing.audit import MemoryAuditSink
from periscope_entrypoints.bootstrap import Services, Settings, bootstrap
from periscope_entrypoints.http.server import HttpServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import flask
    import oidc_provider_mock

IMPERSONATE = "impersonate-"


@dataclasses.dataclass(frozen=True)
class Upstream:
    """One call the console made to a cluster."""

    cluster: str
    websocket: bool
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def impersonation(self) -> list[tuple[str, str]]:
        """The Impersonate-* headers, names in lower case, in the order sent."""
        return [(k.lower(), v) for k, v in self.headers if k.lower().startswith(IMPERSONATE)]


class _RecordingTransport(ClusterTransport):
    def __init__(self, inner: ClusterTransport, cluster: str, calls: list[Upstream]) -> None:
        self._inner, self._cluster, self._calls = inner, cluster, calls

    def _note(self, request: KubeRequest, *, websocket: bool) -> None:
        self._calls.append(Upstream(self._cluster, websocket, request.method, request.path, request.headers))

    async def send(self, request: KubeRequest) -> KubeResponse:
        self._note(request, websocket=False)
        return await self._inner.send(request)

    async def websocket(self, request: KubeRequest, subprotocols: Sequence[str]) -> ChannelSocket:
        self._note(request, websocket=True)
        return await self._inner.websocket(request, subprotocols)

    async def aclose(self) -> None:
        await self._inner.aclose()


class RecordingBackend(ClusterBackend):
    """The kubeconfig backend, with every call noted on the way out."""

    name = "kubeconfig"

    def __init__(self) -> None:
        self._inner = KubeconfigBackend()
        self.calls: list[Upstream] = []

    def validate(self, entry: ClusterEntry) -> list[tuple[str, str]]:
        return self._inner.validate(entry)

    async def connect(self, entry: ClusterEntry, context: BackendContext) -> ClusterTransport:
        return _RecordingTransport(await self._inner.connect(entry, context), entry.name, self.calls)


@dataclasses.dataclass
class RecordedConsole:
    url: str
    services: Services
    audit: MemoryAuditSink
    backend: RecordingBackend

    def calls(self, request_id: str) -> list[Upstream]:
        """What the console sent any cluster while serving the request with this id."""
        return [call for call in list(self.backend.calls) if request_id in call.header("Audit-ID")]


def request_id() -> str:
    """A fresh id for one attack, so its upstream calls (if any) can be told apart."""
    return f"sec-{secrets.token_hex(8)}"


@contextmanager
def recorded_console(
    session_console: Any, workdir: Path, *, idp: Idp | None = None, authorization: Mapping[str, Any] | None = None,
    session: Mapping[str, Any] | None = None, **settings: Any,
) -> Iterator[RecordedConsole]:  # fmt: skip
    """A console over the session console's fleet: OIDC at ``idp`` if given, else dev mode.

    ``authorization`` (and ``session``) become the auth file's sections; in dev mode an
    ``authorization`` section makes the one dev identity impersonate as that mode says.
    """
    settings.setdefault("clusters_file", str(session_console.workdir / "clusters.yaml"))
    if idp is not None:
        path = auth_file(workdir / "auth.yaml", idp, authorization=authorization or {}, session=session or {})
        settings["auth_file"] = str(path)
    elif authorization is not None:
        path = workdir / "auth.yaml"
        path.write_text(yaml.safe_dump({"authorization": dict(authorization)}))
        settings.update(auth_file=str(path), auth_mode="dev")
    backend = RecordingBackend()
    with start_blocking_portal() as portal:
        sink = MemoryAuditSink()
        built = portal.call(lambda: bootstrap(Settings(data_dir=str(workdir), **settings),
                                              backends={"kubeconfig": backend}))  # fmt: skip
        services = dataclasses.replace(built, audit=AuditPipeline([sink]))
        server = HttpServer(services, host="127.0.0.1", port=0)
        future, url = portal.start_task(server.serve)
        try:
            yield RecordedConsole(url=url, services=services, audit=sink, backend=backend)
        finally:
            server.stop()
            future.result(timeout=20)
            portal.call(services.aclose)


@dataclasses.dataclass
class TokenKeepingIdp:
    idp: Idp
    issued: list[dict[str, Any]]
    """Every token response the provider sent, as JSON."""

    def secrets(self) -> set[str]:
        """Every access, ID and refresh token issued so far."""
        kinds = ("access_token", "id_token", "refresh_token")
        return {str(body[kind]) for body in list(self.issued) for kind in kinds if body.get(kind)}


@contextmanager
def run_token_keeping_idp(users: Mapping[str, Mapping[str, Any]]) -> Iterator[TokenKeepingIdp]:
    """oidc-provider-mock with ``users``, keeping a copy of each token it hands out.

    The tokens never pass through the test otherwise (the console redeems the code
    itself), and a leak check needs their exact values.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = oidc_provider_mock.app(
            user_claims=[oidc_provider_mock.User(sub=sub, claims=dict(claims)) for sub, claims in users.items()]
        )
    issued: list[dict[str, Any]] = []

    @app.after_request
    def keep(response: flask.Response) -> flask.Response:
        body = response.get_json(silent=True) if response.is_json else None
        if isinstance(body, dict) and "access_token" in body:
            issued.append(body)
        return response

    server = werkzeug.serving.make_server("localhost", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield TokenKeepingIdp(Idp(issuer=f"http://localhost:{server.server_port}"), issued)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)
