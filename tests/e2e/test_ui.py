"""The web console in a real browser: Debian's chromium, driven by Playwright, against ``periscope serve``.

The suite (fixtures in ``conftest.py``) starts ``periscope serve`` on the embedded sandbox fleet and a free
port, and takes screenshots of the main screens: into ``docs/screenshots/`` (the README shows them) when
``PERISCOPE_SCREENSHOTS=docs`` is set, else into a temporary folder so a test run leaves the checkout
as it was. Steps that need an endpoint the server does not have yet skip with the reason.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("PERISCOPE_SCREENSHOTS") == "docs"
    else Path(tempfile.gettempdir()) / "periscope-screenshots"
)

pytestmark = [pytest.mark.slow]
playwright_api = pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")


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


async def test_karpenter_pools_drift_and_why_a_pod_waits(page: Any) -> None:
    expect = playwright_api.expect
    await page.goto("/clusters/prod")
    await page.get_by_role("navigation", name="Kinds").get_by_role("link", name="Karpenter", exact=True).click()
    await expect(page.get_by_test_id("karpenter-page")).to_be_visible()
    await expect(page.get_by_test_id("nodepools")).to_contain_text("general")
    await expect(page.get_by_test_id("nodepools")).to_contain_text("Spot savings")  # priced from the metrics
    await expect(page.get_by_test_id("metrics-unreachable")).to_have_count(0)
    # A pool with a drifted node is open by itself.
    claims = page.get_by_test_id("claims-general")
    await expect(claims).to_have_attribute("open", "")
    await expect(claims).to_contain_text("Drifted")
    pending = page.get_by_test_id("pending-pods")
    await pending.get_by_role("button").filter(has_text="ml/gpu-trainer-0").click()
    await expect(pending).to_contain_text("did not tolerate nvidia.com/gpu=true:NoSchedule")
    await _shot(page, "karpenter")

    await page.get_by_test_id("nodepools").get_by_role("cell", name="general", exact=True).click()
    pane = page.get_by_test_id("detail-pane")
    await expect(pane).to_contain_text("NodePool")
    await pane.get_by_role("tab", name="YAML").click()
    await expect(pane.get_by_test_id("yaml")).to_contain_text("kind: NodePool")
    assert "kind=nodepools" in page.url


async def test_helm_release_values_history_and_the_diff_of_its_last_upgrade(page: Any) -> None:
    expect = playwright_api.expect
    await page.goto("/clusters/prod")
    await page.get_by_role("navigation", name="Kinds").get_by_role("link", name="Helm", exact=True).click()
    releases = page.get_by_test_id("helm-releases")
    await expect(releases).to_contain_text("ingress-nginx-4.11.3")
    await expect(releases.get_by_role("row").filter(has_text="payments-api")).to_contain_text("failed")
    await _shot(page, "helm")

    await releases.get_by_role("link", name="ingress-nginx", exact=True).click()
    release = page.get_by_test_id("helm-release")
    await expect(page.get_by_test_id("helm-notes")).to_contain_text("controller has been installed")
    await release.get_by_role("tab", name="Values").click()
    await expect(page.get_by_test_id("helm-values")).to_contain_text("replicaCount: 3")

    await release.get_by_role("tab", name="History").click()
    history = page.get_by_test_id("helm-history")
    await expect(history.get_by_role("row")).to_have_count(4)  # the header and three revisions
    await history.get_by_role("button", name="Diff with 2").click()
    diff = page.get_by_test_id("helm-diff")
    await expect(diff).to_contain_text("Deployment")
    await expect(diff).to_contain_text(".spec.replicas")
    await expect(diff).to_contain_text("registry.k8s.io/ingress-nginx/controller:v1.11.3")
    await expect(diff.locator(".monaco-diff-editor")).to_be_visible()
    assert "from=2" in page.url
    assert "to=3" in page.url
    await _shot(page, "helm-diff")

    # The URL is the state: a reload shows the same diff; an older revision is one pick away.
    await page.reload()
    await expect(page.get_by_test_id("helm-diff")).to_contain_text(".spec.replicas")
    await release.get_by_label("Revision", exact=True).select_option("1")
    await expect(release.locator(".toolbar")).to_contain_text("ingress-nginx-4.10.1")

    await release.get_by_role("tab", name="Resources").click()
    deployment = page.get_by_test_id("helm-resources").get_by_role("row").filter(has_text="Deployment")
    await deployment.get_by_role("link", name="ingress-nginx-controller").click()
    await expect(page.get_by_test_id("detail-pane")).to_contain_text("ingress-nginx-controller")
    assert "/clusters/prod/deployments" in page.url


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
    help_sheet = page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(help_sheet).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(help_sheet).to_be_hidden()

    await page.keyboard.press("/")
    await expect(page.get_by_label("Filter", exact=True)).to_be_focused()
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


# --- operating the fleet: live lists, logs, shells, gated actions, the editor, the audit log -----------------


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def test_a_pod_created_with_kubectl_appears_and_its_logs_open(page: Any, kubectl: Any) -> None:
    expect = playwright_api.expect
    await page.goto("/clusters/prod/pods?ns=default")
    await expect(page.get_by_test_id("row-count")).to_be_visible()
    name = _unique("e2e-web")
    kubectl("run", name, "-n", "default", "--image=nginx:1.27")
    try:
        # No reload: the watch stream (or, without one, polling) brings the row in.
        row = page.locator(".vt-row").filter(has_text=name)
        await expect(row).to_be_visible(timeout=30_000)
        await row.click()
        pane = page.get_by_test_id("detail-pane")
        await pane.get_by_role("tab", name="Logs").click()
        logs = pane.get_by_test_id("logs")
        await expect(logs.or_(pane.get_by_text("Logs are not available"))).to_be_visible()
        if await pane.get_by_text("Logs are not available").count():
            pytest.skip("the logs route is not available on this server yet")
        # The sandbox's containers log like their image: an nginx pod logs nginx's start-up lines.
        await expect(logs.get_by_test_id("log-lines")).to_contain_text("nginx", timeout=15_000)
    finally:
        kubectl("delete", "pod", name, "-n", "default", "--wait=false")


async def test_workload_logs_merge_pods_with_a_server_side_filter(page: Any, require_route: Any) -> None:
    expect = playwright_api.expect
    require_route("workload logs", "GET", "/api/clusters/prod/deployments/checkout/web/logs?follow=false&tailLines=1")
    await page.goto("/clusters/prod/deployments?ns=checkout&sel=checkout%2Fweb&tab=logs")
    logs = page.get_by_test_id("logs")
    await expect(logs.locator(".log-pod-chip").first).to_be_visible()
    await expect(logs.locator(".log-line").first).to_be_visible()
    await _shot(page, "logs")
    # Every access-log line has the protocol; start-up lines do not, so only the server's filter explains it.
    await logs.get_by_label("Log filter").fill("HTTP/1.1")
    await expect(logs.locator(".log-line mark").first).to_have_text("HTTP/1.1")
    await expect(logs.locator(".log-text").first).to_contain_text("HTTP/1.1")
    texts = await logs.locator(".log-text").all_inner_texts()
    assert texts
    assert all("HTTP/1.1" in text for text in texts)


async def test_a_shell_runs_a_command_in_the_terminal_drawer(page: Any, require_route: Any) -> None:
    expect = playwright_api.expect
    rows = await _open_pods(page, "/clusters/prod/pods?ns=checkout")
    running = rows.filter(has_text="Running").first
    pod = (await running.locator(".cell-name").inner_text()).strip()
    require_route("exec", "GET", f"/api/clusters/prod/pods/checkout/{pod}/exec/check")
    await running.click()
    await page.get_by_test_id("detail-pane").get_by_role("button", name="Terminal").click()
    terminal = page.get_by_test_id("terminal-pane")
    await expect(terminal.get_by_text("Connected")).to_be_visible()
    marker = _unique("periscope")
    await terminal.locator(".xterm").click()
    await page.keyboard.type(f"echo {marker}")
    await page.keyboard.press("Enter")
    # The command's output is a line of its own (the typed command line holds the marker after "echo ").
    output_line = re.compile(rf"^{marker}\s*$", re.M)
    await expect(terminal.locator(".xterm-rows")).to_contain_text(output_line, use_inner_text=True)
    await page.get_by_role("button", name="Toggle theme").click()
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    await _shot(page, "terminal-dark")


async def test_a_disabled_action_says_why(page: Any, require_route: Any) -> None:
    expect = playwright_api.expect
    require_route("the RBAC pre-flight", "POST", "/api/clusters/prod/can-i", {"checks": []})
    await page.goto("/clusters/prod/nodes")
    await page.locator(".vt-row").first.click()
    cordon = page.get_by_test_id("action-Cordon")
    await expect(cordon.get_by_role("button")).to_be_disabled()
    await expect(cordon).to_have_attribute("data-tip", "Not allowed: you lack patch nodes.")
    await cordon.hover()
    await _shot(page, "action-denied")


async def _paste_manifest(page: Any, text: str) -> None:
    """Replace the editor's text, as a person pasting a manifest would."""
    await page.evaluate("text => navigator.clipboard.writeText(text)", text)
    await page.get_by_test_id("yaml-editor").locator(".view-lines").click()
    await page.keyboard.press("Control+a")
    await page.keyboard.press("Control+v")
    await page.keyboard.press("Control+Home")


async def _replicas(page: Any) -> int:
    response = await page.request.get("/api/clusters/prod/deployments/checkout/recommender")
    return int((await response.json())["spec"]["replicas"])


async def test_edit_a_deployment_with_a_dry_run_then_apply_and_see_drift(page: Any, kubectl: Any) -> None:
    expect = playwright_api.expect
    path = "/api/clusters/prod/resources/apps/v1/deployments/checkout/recommender"
    if (await page.request.get(path + "/yaml")).status != 200:
        pytest.skip("the editor's routes are not available on this server yet")
    await page.goto("/clusters/prod/deployments?ns=checkout&sel=checkout%2Frecommender&tab=edit")
    editor = page.get_by_test_id("editor")
    await expect(editor.get_by_test_id("yaml-editor")).to_contain_text("kind: Deployment")

    # Someone else changes the object while it is open: the banner says what and who.
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: recommender\n  namespace: checkout\n"
    patch += "  labels:\n    team: recommendations\n"
    kubectl("apply", "--server-side", "--field-manager=argocd-controller", "-f", "-", input=patch)
    drift = editor.get_by_test_id("drift-banner")
    await expect(drift).to_contain_text("argocd-controller")
    await expect(drift).to_contain_text(".metadata.labels.team")
    await drift.get_by_role("button", name="Load the new version").click()
    await expect(drift).to_have_count(0)

    yaml = await (await page.request.get(path + "/yaml")).text()
    replicas = int(re.search(r"^  replicas: (\d+)$", yaml, re.M).group(1))  # type: ignore[union-attr]
    edited = yaml.replace(f"  replicas: {replicas}\n", f"  replicas: {replicas + 1}\n", 1)
    edited = edited.replace("team: recommendations", "team: discovery")
    await _paste_manifest(page, edited)
    await editor.get_by_role("button", name="Review changes").click()
    review = editor.get_by_test_id("review")
    await expect(review).to_be_visible()
    if await review.get_by_text("Conflicts with other field managers").count():
        # Keep every field: a forced apply that takes them over.
        for radio in await review.get_by_role("radio", name="mine").all():
            await radio.check()
        await review.get_by_role("button", name="Preview with these choices").click()
    await expect(review).to_contain_text("Dry run")
    await expect(review).to_contain_text(".spec.replicas")
    # The label is argocd's: the server warns the change will be reverted.
    await expect(review.get_by_role("alert")).to_contain_text("argocd-controller")
    await _shot(page, "edit-dry-run")
    assert await _replicas(page) == replicas, "a dry run must change nothing"

    await review.get_by_role("button", name=re.compile(r"^Apply")).click()
    await expect(review).to_contain_text("Applied")
    assert await _replicas(page) == replicas + 1


async def test_audit_filters_by_verb_and_outcome_and_opens_a_row(page: Any, require_route: Any, console: str) -> None:
    expect = playwright_api.expect
    require_route("the audit log", "GET", "/api/audit")
    # Something to find: the write tier may not cordon a node, and a refusal is audited as denied.
    node = (await (await page.request.get("/api/clusters/prod/nodes")).json())["items"][0]["name"]
    refused = await page.request.post(f"/api/clusters/prod/nodes/{node}/cordon", headers={"Origin": console})
    assert refused.status == 403
    await page.goto("/audit")
    audit = page.get_by_test_id("audit-page")
    await expect(audit.get_by_test_id("audit-scope")).to_contain_text("every actor")
    await audit.get_by_label("Verb").select_option("apply")
    await expect(page).to_have_url(re.compile(r"verb=apply"))
    rows = audit.locator(".vt-row")
    await expect(rows.first).to_be_visible()
    assert all("apply" in text for text in await rows.all_inner_texts())
    await expect(audit.get_by_test_id("audit-timeline")).to_be_visible()
    await _shot(page, "audit")
    await audit.get_by_role("group", name="Outcome").get_by_role("button", name="denied").click()
    await expect(page).to_have_url(re.compile(r"outcome=denied"))
    await expect(rows.filter(has_text=node)).to_have_count(1)
    await rows.filter(has_text=node).click()
    detail = page.get_by_test_id("audit-detail")
    await expect(detail).to_contain_text("denied")
    await expect(detail).to_contain_text(node)
    await expect(page).to_have_url(re.compile(r"id=\d+"))
