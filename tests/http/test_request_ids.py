"""Request ids: echoed to the client and carried to the apiserver as its audit id."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from anyio.from_thread import start_blocking_portal

from periscope_core.domain.clusters import ClusterEntry
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.ports.transport import BufferedResponse, ChannelSocket, ClusterTransport, KubeRequest, KubeResponse
from periscope_entrypoints.bootstrap import Services, Settings, bootstrap
from periscope_entrypoints.http.server import HttpServer

EMPTY_LIST = b'{"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": []}'


class RecordingTransport(ClusterTransport):
    """An apiserver that answers every request with an empty list and remembers the requests."""

    def __init__(self) -> None:
        self.requests: list[KubeRequest] = []

    async def send(self, request: KubeRequest) -> KubeResponse:
        self.requests.append(request)
        return BufferedResponse(200, EMPTY_LIST, {"content-type": "application/json"})

    async def websocket(self, request: KubeRequest, subprotocols: Sequence[str]) -> ChannelSocket:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


class RecordingBackend(ClusterBackend):
    name = "recording"

    def __init__(self) -> None:
        self.transport = RecordingTransport()

    async def connect(self, entry: ClusterEntry, context: BackendContext) -> ClusterTransport:
        return self.transport


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, RecordingTransport]]:
    workdir: Path = tmp_path_factory.mktemp("request-ids")
    registry = workdir / "clusters.yaml"
    registry.write_text("clusters:\n  - {name: rec, backend: recording}\n")
    backend = RecordingBackend()
    with start_blocking_portal() as portal:
        services: Services = portal.call(
            lambda: bootstrap(Settings(clusters_file=str(registry), data_dir=str(workdir)),
                              backends={"recording": backend})
        )
        server = HttpServer(services, host="127.0.0.1", port=0)
        future, url = portal.start_task(server.serve)
        with httpx.Client(base_url=url, timeout=20) as client:
            yield client, backend.transport
        server.stop()
        future.result(timeout=20)
        portal.call(services.aclose)


def _audit_ids(transport: RecordingTransport) -> set[str]:
    return {value for request in transport.requests for name, value in request.headers if name == "Audit-ID"}


def test_a_client_request_id_reaches_the_apiserver_as_its_audit_id(
    recorded: tuple[httpx.Client, RecordingTransport],
) -> None:
    client, transport = recorded
    transport.requests.clear()
    response = client.get("/api/clusters/rec/pods", headers={"X-Request-Id": "trace-42"})
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == "trace-42"
    assert transport.requests
    assert _audit_ids(transport) == {"trace-42"}


def test_without_one_a_fresh_id_is_made_and_sent_alike(recorded: tuple[httpx.Client, RecordingTransport]) -> None:
    client, transport = recorded
    transport.requests.clear()
    response = client.get("/api/clusters/rec/pods", headers={"X-Request-Id": "two words"})
    made = response.headers["x-request-id"]
    assert len(made) == 32
    assert _audit_ids(transport) == {made}
