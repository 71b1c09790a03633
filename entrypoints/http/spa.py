"""The built web UI, served by the same process and port as the API.

Litestar's router does not fall back from a specific route to a catch-all, so the
UI is served from the 404 handler: a GET that matched no route and is not an API
path gets the file it names, or ``index.html`` for a client-side route. API paths
keep their JSON 404, so a typo in a script never receives an HTML page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotFoundException
from litestar.response import File

from periscope_entrypoints.http.errors import http_error

__all__ = ["locate_ui", "spa_not_found_handler"]

_NOT_UI = ("/api/", "/api", "/healthz", "/schema", "/debug/")
_IMMUTABLE = "public, max-age=31536000, immutable"


def locate_ui(configured: str) -> Path | None:
    """The folder holding the built UI's index.html, if there is one."""
    package_dir = Path(__file__).resolve().parent
    candidates = [Path(configured)] if configured else [package_dir.parents[1] / "ui" / "dist", package_dir / "static"]
    return next((c.resolve() for c in candidates if (c / "index.html").is_file()), None)


def spa_not_found_handler(ui_dir: Path | None) -> Any:
    """A 404 handler that serves the UI for browser routes and JSON for everything else."""

    def handle(request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any]:
        path = request.url.path
        if ui_dir is None or request.method not in ("GET", "HEAD") or path.startswith(_NOT_UI) or path == "/api":
            return http_error(request, exc)
        target = (ui_dir / path.lstrip("/")).resolve()
        if target.is_relative_to(ui_dir) and target.is_file():
            cache = _IMMUTABLE if path.startswith("/assets/") else "no-cache"
            return File(
                path=target, filename=target.name, content_disposition_type="inline", headers={"cache-control": cache}
            )
        if "." in path.rsplit("/", 1)[-1]:
            # A missing asset is a 404, not the app page with a 200 that breaks a script tag.
            return http_error(request, exc)
        return File(
            path=ui_dir / "index.html",
            filename="index.html",
            content_disposition_type="inline",
            media_type="text/html",
            headers={"cache-control": "no-cache"},
        )

    return handle
