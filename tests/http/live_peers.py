"""What the live-stream tests share: a console of their own, an SSE reader over HTTP, kubectl.

The console runs the real app on uvicorn over the session's sandbox fleet (its
registry and kubeconfig), with the settings a test needs and its audit events kept
in memory. Streams are read with httpx, decoded by the project's own SSE decoder.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from anyio.from_thread import start_blocking_portal
from auth_peers import Browser, Idp, auth_file

from periscope_core.services.audit import AuditPipeline
from periscope_core.testing.audit import MemoryAuditSink
from periscope_core.testing.sse import SseRecorder
from periscope_entrypoints.bootstrap import Services, Settings, bootstrap
from periscope_entrypoints.http.server import HttpServer

KUBECTL = Path("/usr/bin/kubectl")
CLUSTER = "prod"


@dataclasses.dataclass
class LiveConsole:
    url: str
    services: Services
    audit: MemoryAuditSink
    kubeconfig: Path
    workdir: Path
    stop: Callable[[], None]
    """Stop the server (blocks until it has shut down); idempotent."""

    async def kubectl(self, *args: str, stdin: str = "") -> str:
        """Run kubectl against the fleet's ``prod`` cluster as its admin; stdout."""
        result = await anyio.run_process(
            [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), "--context", CLUSTER,
             "--cache-dir", str(self.workdir / "kube-cache"), *args],
            input=stdin.encode(), check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout.decode()


@contextmanager
def live_console(session_console: Any, workdir: Path, **settings: Any) -> Iterator[LiveConsole]:
    """A console over the session console's fleet with ``settings`` (Settings fields)."""
    settings.setdefault("clusters_file", str(session_console.workdir / "clusters.yaml"))
    full = Settings(data_dir=str(workdir), **settings)
    with start_blocking_portal() as portal:
        sink = MemoryAuditSink()
        audit = AuditPipeline([sink])
        services = dataclasses.replace(portal.call(bootstrap, full), audit=audit)
        server = HttpServer(services, host="127.0.0.1", port=0)
        future, url = portal.start_task(server.serve)

        def stop() -> None:
            if not future.done():
                server.stop()
                future.result(timeout=20)

        try:
            yield LiveConsole(url=url, services=services, audit=sink, kubeconfig=session_console.workdir / "kubeconfig",
                              workdir=workdir, stop=stop)  # fmt: skip
        finally:
            stop()
            portal.call(services.aclose)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0, step: float = 0.05) -> None:
    """Poll ``check`` until it holds (for state only visible by asking again)."""
    for _ in range(int(timeout / step)):
        if await check():
            return
        await anyio.sleep(step)
    raise AssertionError(f"not true within {timeout} s")


def kubectl_available() -> bool:
    return KUBECTL.exists() and os.access(KUBECTL, os.X_OK)


class SseReader(SseRecorder):
    """One streamed response, read in the background."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.aiter_raw(), timeout=3.0, ignore=(httpx.ReadError,))
        self.response = response


@contextmanager
def oidc_console(
    session_console: Any, workdir: Path, idp: Idp, authorization: dict[str, Any], *,
    session: dict[str, str] | None = None, **settings: Any,
) -> Iterator[LiveConsole]:  # fmt: skip
    """A live console signing people in at ``idp``."""
    path = auth_file(workdir / "auth.yaml", idp, authorization=authorization, session=session or {})
    with live_console(session_console, workdir, auth_file=str(path), **settings) as running:
        yield running


async def signed_in(live: LiveConsole, user: str) -> httpx.AsyncClient:
    """A client holding ``user``'s session cookies (and the CSRF cookie)."""
    browser = Browser(live.url)
    try:
        assert browser.sign_in(user).status_code == 302
        return httpx.AsyncClient(base_url=live.url, timeout=10, cookies=browser.http.cookies)
    finally:
        browser.close()


async def grant_tiers(live: LiveConsole) -> None:
    """Let the admin and read tiers read the cluster (apply: every test may call it)."""
    await live.kubectl("apply", "-f", "-", stdin="\n---\n".join(f"""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: live-tier-{tier}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "periscope-tier:{tier}"}}]
""" for tier in ("admin", "read")))


@asynccontextmanager
async def sse(client: httpx.AsyncClient, path: str, **kwargs: Any) -> AsyncIterator[SseReader]:
    """GET ``path`` as a stream; the reader runs until the block ends (the response is then closed)."""
    async with client.stream("GET", path, **kwargs) as response, anyio.create_task_group() as tg:
        assert response.status_code == 200, (await response.aread()).decode()
        reader = SseReader(response)
        tg.start_soon(reader.run)
        yield reader
        tg.cancel_scope.cancel()
