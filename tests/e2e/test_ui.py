"""The web console in a real browser: Debian's chromium, driven by Playwright, against ``periscope serve``.

The suite starts ``periscope serve`` on the embedded sandbox fleet and a free port, and saves screenshots
of the main screens into ``docs/screenshots/``. Set ``PERISCOPE_E2E_URL`` to test a console that is
already running instead (for example ``npm run preview`` in ``ui/`` proxying to a server).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
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
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PERISCOPE = str(Path(sys.executable).parent / "periscope")
TIMEOUT_MS = 20_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (apt-get install -y chromium)"),
]
playwright_api = pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")


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


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The console's base URL: a fresh ``periscope serve`` unless PERISCOPE_E2E_URL names one."""
    given = os.environ.get("PERISCOPE_E2E_URL")
    if given:
        yield given.rstrip("/")
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERISCOPE_") and k != "PORT"}
    env["PERISCOPE_DATA_DIR"] = str(tmp_path_factory.mktemp("e2e") / "data")
    process = subprocess.Popen(
        [PERISCOPE, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        url = _serving_url(process)
        if not _serves_ui(url):
            pytest.skip("periscope serve does not serve the web UI yet (build ui/ and serve ui/dist at /)")
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
async def page(console: str) -> AsyncIterator[Any]:
    """A fresh browser page on the console; fails the test if the page threw an uncaught error."""
    errors: list[str] = []
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1440, "height": 900}, base_url=console)
        context.set_default_timeout(TIMEOUT_MS)
        tab = await context.new_page()
        tab.on("pageerror", lambda error: errors.append(str(error)))
        try:
            yield tab
        finally:
            await browser.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


async def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


async def _open_pods(page: Any, path: str = "/clusters/prod/pods") -> Any:
    await page.goto(path)
    rows = page.locator(".vt-row")
    await rows.first.wait_for()
    return rows


async def test_fleet_drill_down_to_a_pods_yaml(page: Any) -> None:
    expect = playwright_api.expect
    await page.goto("/")
    prod = page.get_by_test_id("cluster-card-prod")
    await expect(prod.locator(".metrics")).to_be_visible()
    await expect(page.get_by_test_id("fleet-rollup")).to_be_visible()
    await _shot(page, "fleet")

    await prod.click()
    await expect(page.get_by_test_id("overview")).to_be_visible()
    await expect(page.locator(".tile").first).to_be_visible()
    await _shot(page, "overview")

    await page.get_by_role("navigation", name="Kinds").get_by_role("link", name="Pods", exact=True).click()
    rows = page.locator(".vt-row")
    await rows.first.wait_for()
    await expect(page.get_by_test_id("stream-health")).to_be_visible()
    await _shot(page, "pods")

    name = (await rows.first.locator(".cell-name").inner_text()).strip()
    await rows.first.click()
    pane = page.get_by_test_id("detail-pane")
    await expect(pane.get_by_test_id("describe")).to_be_visible()
    await pane.get_by_role("tab", name="YAML").click()
    yaml = pane.get_by_test_id("yaml")
    await expect(yaml).to_contain_text("kind: Pod")
    await expect(yaml).to_contain_text(f"name: {name}")
    assert "tab=yaml" in page.url
    assert "sel=" in page.url
    await _shot(page, "pod-yaml")

    # The URL is the state: a reload (or a shared link) opens the same object and tab.
    await page.reload()
    await expect(page.get_by_test_id("yaml")).to_contain_text(f"name: {name}")


async def test_palette_jumps_to_an_object_and_theme_toggles(page: Any) -> None:
    expect = playwright_api.expect
    rows = await _open_pods(page)
    target = (await rows.nth(1).locator(".cell-name").inner_text()).strip()

    await page.keyboard.press("t")
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")

    await page.keyboard.press("Control+k")
    palette = page.get_by_role("dialog", name="Command palette")
    await palette.get_by_role("textbox").fill(target)
    option = palette.get_by_role("option").filter(has_text=target).first
    await expect(option).to_be_visible()
    await _shot(page, "palette")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("detail-pane")).to_contain_text(target)
    await expect(page.locator(".vt-row.selected")).to_contain_text(target)
    await _shot(page, "pods-dark")


async def test_shortcut_help_and_filter(page: Any) -> None:
    expect = playwright_api.expect
    rows = await _open_pods(page)
    await page.keyboard.press("?")
    await expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    await page.keyboard.press("Escape")

    await page.keyboard.press("/")
    await page.keyboard.type("no-such-pod-anywhere")
    await expect(rows).to_have_count(0)
    await expect(page.get_by_text("No pods match")).to_be_visible()


async def test_unknown_kind_shows_a_message_not_a_crash(page: Any) -> None:
    expect = playwright_api.expect
    await page.goto("/clusters/prod/widgets")
    await expect(page.get_by_text("No such kind")).to_be_visible()
    await page.goto("/clusters/no-such-cluster")
    await expect(page.get_by_text("No such cluster")).to_be_visible()


def test_api_paths_never_fall_back_to_the_page(console: str) -> None:
    missing = httpx.get(console + "/api/no-such-endpoint", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"] == "E_NOT_FOUND"
    deep_link = httpx.get(console + "/clusters/prod/pods?sel=shop%2Fweb-0", timeout=10)
    assert deep_link.status_code == 200
    assert 'id="root"' in deep_link.text
