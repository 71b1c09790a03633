"""Fixtures of the browser tests: ``periscope serve`` on its embedded sandbox fleet, and a Chromium page on it.

The server runs in dev mode as one person mapped to the write tier, with the audit log on, so the
console shows enabled and disabled actions and records what the tests do. Set ``PERISCOPE_E2E_URL``
(and ``PERISCOPE_E2E_KUBECONFIG`` for the kubectl steps) to test a console that is already running.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
# The flags that make Debian's chromium run headless in a container (see the feasibility notes).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HAVE_CHROMIUM = CHROMIUM.exists()
PERISCOPE = str(Path(sys.executable).parent / "periscope")
TIMEOUT_MS = 20_000



def _serving_url(process: subprocess.Popen[str], timeout: float = 90) -> str:
    """Read stdout until the server announces its URL."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    marker = "Periscope is serving "
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("periscope serve did not print its URL") from None
        if line.startswith(marker):
            return line[len(marker) :].split()[0]


def _serves_ui(url: str) -> bool:
    response = httpx.get(url + "/", timeout=10)
    return response.status_code == 200 and 'id="root"' in response.text


# The dev identity, mapped to the write tier: it may edit workloads and open shells, not cordon nodes,
# so the suite sees enabled and disabled actions alike. It is an audit admin, so it sees every row.
AUTH_FILE = """\
authorization:
  mode: tier
  groupTiers: {platform: write}
  defaultTier: read
  auditAdminGroups: [platform]
dev: {subject: ada@example.com, email: ada@example.com, groups: [platform]}
"""


class Server:
    def __init__(self, url: str, kubeconfig: Path | None) -> None:
        self.url, self.kubeconfig = url, kubeconfig


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh ``periscope serve`` on its embedded fleet, unless PERISCOPE_E2E_URL names a running console."""
    given = os.environ.get("PERISCOPE_E2E_URL")
    if given:
        kubeconfig = os.environ.get("PERISCOPE_E2E_KUBECONFIG")
        yield Server(given.rstrip("/"), Path(kubeconfig) if kubeconfig else None)
        return
    tmp = tmp_path_factory.mktemp("e2e")
    (tmp / "auth.yaml").write_text(AUTH_FILE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERISCOPE_") and k != "PORT"}
    env |= {
        "PERISCOPE_DATA_DIR": str(tmp / "data"),
        "PERISCOPE_AUTH_FILE": str(tmp / "auth.yaml"),
        "PERISCOPE_AUDIT_ENABLED": "true",
        "PERISCOPE_AUDIT_DB_PATH": str(tmp / "audit.db"),
    }
    process = subprocess.Popen(
        [PERISCOPE, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        url = _serving_url(process)
        if not _serves_ui(url):
            pytest.skip("periscope serve does not serve the web UI yet (build ui/ and serve ui/dist at /)")
        yield Server(url, tmp / "data" / "sandbox" / "kubeconfig")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def console(server: Server) -> str:
    """The console's base URL."""
    return server.url


@pytest.fixture
async def page(console: str) -> AsyncIterator[Any]:
    """A fresh browser page on the console; fails the test if the page threw an uncaught error."""
    if not HAVE_CHROMIUM:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    playwright_api = pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")
    errors: list[str] = []
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1440, "height": 900}, base_url=console)
        # The editor tests paste a whole manifest, as a person would.
        await context.grant_permissions(["clipboard-read", "clipboard-write"])
        context.set_default_timeout(TIMEOUT_MS)
        tab = await context.new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        try:
            yield tab
        finally:
            await browser.close()
    assert errors == [], f"uncaught errors in the page: {errors}"




KUBECTL = Path("/usr/bin/kubectl")


class Kubectl:
    """The real kubectl against the console's sandbox fleet (context ``prod``), as an operator would use it."""

    def __init__(self, kubeconfig: Path, cache: Path) -> None:
        self.kubeconfig, self.cache = kubeconfig, cache

    def __call__(self, *args: str, input: str | None = None) -> str:
        argv = [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(self.cache), "--context", "prod"]
        result = subprocess.run([*argv, *args], input=input, capture_output=True, text=True, timeout=30, check=False)
        if result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
        return result.stdout


@pytest.fixture(scope="module")
def kubectl(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    if not KUBECTL.exists():
        pytest.skip("kubectl is not installed at /usr/bin/kubectl")
    if server.kubeconfig is None or not server.kubeconfig.exists():
        pytest.skip("no kubeconfig for the console's fleet (set PERISCOPE_E2E_KUBECONFIG)")
    return Kubectl(server.kubeconfig, tmp_path_factory.mktemp("kubectl-cache"))


def _route_missing(console: str, method: str, path: str, body: Any) -> bool:
    """Whether the server lacks a route (405, or a 404 that is not about a missing object)."""
    response = httpx.request(method, console + path, timeout=10, headers={"Origin": console}, json=body)
    if response.status_code == 405:
        return True
    return response.status_code == 404 and "status" not in response.json()


@pytest.fixture(scope="module")
def require_route(console: str) -> Callable[..., None]:
    """``require_route(what, method, path, body=None)`` skips the test while the server has no such route."""

    def require(what: str, method: str, path: str, body: Any = None) -> None:
        if _route_missing(console, method, path, body):
            pytest.skip(f"{what} is not available on this server yet ({method} {path})")

    return require
