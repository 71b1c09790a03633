"""The HTTP entrypoint (Litestar on uvicorn)."""

from periscope_entrypoints.http.app import create_app

__all__ = ["create_app"]
