"""The web UI is served for browser routes; API paths keep their JSON 404s."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import get
from litestar.exceptions import NotFoundException
from litestar.testing import TestClient, create_test_client

from periscope_entrypoints.http.errors import EXCEPTION_HANDLERS
from periscope_entrypoints.http.spa import locate_ui, spa_not_found_handler


@get("/api/ping", sync_to_thread=False)
def ping() -> dict[str, str]:
    return {"ok": "yes"}


@pytest.fixture
def ui(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Periscope</title>")
    (dist / "assets" / "app-1a2b.js").write_text("console.log(1)")
    (dist / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside the UI folder")
    return dist


def client(ui_dir: Path | None) -> TestClient:  # type: ignore[type-arg]
    handlers = {**EXCEPTION_HANDLERS, NotFoundException: spa_not_found_handler(ui_dir)}
    return create_test_client(route_handlers=[ping], exception_handlers=handlers)


def test_client_routes_get_the_app_page_uncached(ui: Path) -> None:
    with client(ui) as http:
        for path in ("/", "/clusters/prod/pods", "/clusters/prod/pods?sel=shop%2Fweb-0"):
            response = http.get(path)
            assert response.status_code == 200
            assert "<title>Periscope</title>" in response.text
            assert response.headers["cache-control"] == "no-cache"
            assert response.headers["content-type"].startswith("text/html")


def test_hashed_assets_are_cached_for_good(ui: Path) -> None:
    with client(ui) as http:
        response = http.get("/assets/app-1a2b.js")
        assert response.text == "console.log(1)"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert http.get("/favicon.svg").headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/api/nope", "/api", "/healthz/x", "/assets/missing.js"])
def test_api_paths_and_missing_files_stay_json_404s(ui: Path, path: str) -> None:
    with client(ui) as http:
        response = http.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "E_NOT_FOUND"


def test_a_path_cannot_climb_out_of_the_ui_folder(ui: Path) -> None:
    with client(ui) as http:
        response = http.get("/..%2Fsecret.txt")
        assert "outside the UI folder" not in response.text


def test_without_a_built_ui_everything_unknown_is_a_json_404(tmp_path: Path) -> None:
    assert locate_ui(str(tmp_path)) is None
    with client(None) as http:
        assert http.get("/").json()["error"] == "E_NOT_FOUND"
        assert http.get("/api/ping").json() == {"ok": "yes"}
