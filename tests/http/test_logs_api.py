"""Pod and workload logs over real HTTP: SSE, the plain-text download, filters, refusals and the audit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Any

import anyio
import httpx
import msgspec
import pytest
from conftest import Console
from live_peers import CLUSTER, LiveConsole, eventually, kubectl_available, live_console, sse

from periscope_core.domain.audit import AuditEvent

pytestmark = pytest.mark.skipif(not kubectl_available(), reason="kubectl is not installed at /usr/bin/kubectl")

NS = "live-logs"
BASE = f"/api/clusters/{CLUSTER}"


class Web(msgspec.Struct):
    pods: list[str]


@pytest.fixture(scope="module")
def live(console: Console, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    with live_console(console, tmp_path_factory.mktemp("live-logs"), stream_ping_seconds=0.3) as running:
        yield running


@pytest.fixture
async def client(live: LiveConsole) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as http:
        yield http


@pytest.fixture
async def web(live: LiveConsole, client: httpx.AsyncClient) -> Web:
    """A two-replica nginx deployment in NS whose pods are running (created once per module)."""
    pods: list[dict[str, Any]] = (await client.get(f"{BASE}/pods", params={"namespace": NS})).json()["items"]
    if not pods:
        await live.kubectl("create", "namespace", NS)
        await live.kubectl("create", "deployment", "web", "-n", NS, "--image=nginx:1.27", "--replicas=2")
    with anyio.fail_after(10):
        while len(pods) != 2 or any(p["status"] != "Running" for p in pods):
            await anyio.sleep(0.05)
            pods = (await client.get(f"{BASE}/pods", params={"namespace": NS})).json()["items"]
    return Web(pods=sorted(p["name"] for p in pods))


async def _finished(client: httpx.AsyncClient, path: str, **params: str) -> list[tuple[str, Any]]:
    """A log read to its end: (event name, data) pairs."""
    async with sse(client, path, params=params) as reader:
        await reader.wait_for(lambda r: r.finished)
        return [(event.event, msgspec.json.decode(event.data)) for event in reader.events]


async def test_a_pod_log_is_its_lines_then_done(live: LiveConsole, client: httpx.AsyncClient, web: Web) -> None:
    pod = web.pods[0]
    events = await _finished(client, f"{BASE}/pods/{NS}/{pod}/logs", follow="false")
    assert events[-1] == ("done", {})
    lines = [data for name, data in events if name == "message"]
    assert lines
    assert all(set(line) == {"t", "l"} for line in lines)
    # kubectl reads the same log (perhaps a line longer by then).
    printed = (await live.kubectl("logs", "-n", NS, pod)).splitlines()
    assert printed[: len(lines)] == [line["l"] for line in lines]


async def test_workload_logs_merge_every_pod_in_time_order(client: httpx.AsyncClient, web: Web) -> None:
    events = await _finished(client, f"{BASE}/deployments/{NS}/web/logs", follow="false")
    meta = next(data for name, data in events if name == "meta")
    assert sorted(p["name"] for p in meta["pods"]) == web.pods
    lines = [data for name, data in events if name == "message"]
    assert {line["p"] for line in lines} == set(web.pods)
    stamps = [datetime.fromisoformat(line["t"]) for line in lines]
    assert stamps == sorted(stamps)
    assert events[-1] == ("done", {})


async def test_a_followed_log_stays_open_and_pings(client: httpx.AsyncClient, web: Web) -> None:
    async with sse(client, f"{BASE}/pods/{NS}/{web.pods[0]}/logs", params={"tailLines": "1"}) as reader:
        assert reader.response.headers["cache-control"] == "no-cache, no-transform"
        await reader.wait_event("message")
        await reader.wait_for(lambda r: b"\n: ping\n\n" in r.raw, timeout=2.0)
        assert not reader.finished


async def test_the_filter_keeps_matching_lines(client: httpx.AsyncClient, web: Web) -> None:
    path = f"{BASE}/deployments/{NS}/web/logs"
    plain = await _finished(client, path, follow="false", grep="NOTICE", ignoreCase="true")
    matched = [data["l"] for name, data in plain if name == "message"]
    assert matched
    assert all("notice" in line.lower() for line in matched)
    regex = await _finished(client, path, follow="false", grep=r"^/docker-entrypoint\.sh:", regex="true")
    assert sum(1 for name, _ in regex if name == "message") == 2  # one per pod
    bad = await client.get(path, params={"grep": "(", "regex": "true"})
    assert (bad.status_code, bad.json()["error"]) == (400, "E_INVALID_REQUEST")


async def test_download_is_plain_text_with_a_filename(client: httpx.AsyncClient, web: Web) -> None:
    pod = web.pods[0]
    streamed = await _finished(client, f"{BASE}/pods/{NS}/{pod}/logs", follow="false")
    texts = [data["l"] for name, data in streamed if name == "message"]
    response = await client.get(f"{BASE}/pods/{NS}/{pod}/logs", params={"download": "1", "timestamps": "false"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{NS}_{pod}.log"'
    assert response.text.splitlines()[: len(texts)] == texts
    merged = await client.get(f"{BASE}/deployments/{NS}/web/logs", params={"download": "1"})
    first = merged.text.splitlines()[0]
    stamp, pod_tag, _ = first.split(" ", 2)
    assert datetime.fromisoformat(stamp)
    assert pod_tag.strip("[]") in web.pods


async def test_refusals_are_json_errors_before_streaming(client: httpx.AsyncClient, web: Web) -> None:
    missing = await client.get(f"{BASE}/pods/{NS}/no-such-pod/logs")
    assert (missing.status_code, missing.json()["error"]) == (404, "E_NOT_FOUND")
    no_logs = await client.get(f"{BASE}/services/{NS}/web/logs")
    assert (no_logs.status_code, no_logs.json()["error"]) == (404, "E_NOT_FOUND")
    # The browse routes sharing the shape still match.
    detail = await client.get(f"{BASE}/pods/{NS}/{web.pods[0]}")
    assert detail.json()["metadata"]["name"] == web.pods[0]


async def test_opening_logs_is_audited(live: LiveConsole, client: httpx.AsyncClient, web: Web) -> None:
    await _finished(client, f"{BASE}/deployments/{NS}/web/logs", follow="false", container="nginx")
    await client.get(f"{BASE}/pods/{NS}/no-such-pod/logs")

    def opened(match: Callable[[AuditEvent], bool]) -> list[AuditEvent]:
        return [e for e in live.audit.events if e.verb == "log_open" and e.resource.namespace == NS and match(e)]

    def workload() -> list[AuditEvent]:
        return opened(lambda e: e.resource.resource == "deployments" and e.extra["container"] == "nginx")

    def missing() -> list[AuditEvent]:
        return opened(lambda e: e.resource.name == "no-such-pod")

    async def recorded() -> bool:
        return bool(workload() and missing())

    await eventually(recorded)
    event = workload()[0]
    assert (event.outcome, event.resource.name, event.cluster) == ("success", "web", CLUSTER)
    assert event.actor.sub == "dev@local"
    assert event.extra["download"] is False
    assert missing()[0].outcome != "success"
