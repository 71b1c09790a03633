"""The bound request id travels on every apiserver call, including from tasks the request starts."""

from __future__ import annotations

from collections.abc import Sequence

import anyio

from periscope_core.domain.resources import GroupVersionResource
from periscope_core.ports.transport import BufferedResponse, ChannelSocket, ClusterTransport, KubeRequest, KubeResponse
from periscope_core.services.kube import KubeClient
from periscope_core.services.request_context import bind_request_id, current_request_id

PODS = GroupVersionResource("", "v1", "pods")


class Recorder(ClusterTransport):
    def __init__(self) -> None:
        self.requests: list[KubeRequest] = []

    async def send(self, request: KubeRequest) -> KubeResponse:
        self.requests.append(request)
        return BufferedResponse(200, b'{"metadata": {}, "items": []}')

    async def websocket(self, request: KubeRequest, subprotocols: Sequence[str]) -> ChannelSocket:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def _audit_ids(transport: Recorder) -> list[str | None]:
    return [dict(r.headers).get("Audit-ID") for r in transport.requests]


async def test_calls_carry_the_bound_id_and_only_while_it_is_bound() -> None:
    transport = Recorder()
    client = KubeClient(transport, cluster="c")
    await client.list(PODS)
    with bind_request_id("req-1"):
        await client.list(PODS, namespace="a")
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.list, PODS)
        with bind_request_id("req-2"):
            await client.list(PODS)
        assert current_request_id() == "req-1"
    await client.list(PODS)
    assert _audit_ids(transport) == [None, "req-1", "req-1", "req-2", None]
    assert current_request_id() == ""
