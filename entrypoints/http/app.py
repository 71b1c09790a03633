"""The Litestar application: routes, dependencies, error mapping and edge headers."""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.controllers import (
    ClustersController,
    CustomResourcesController,
    FeaturesController,
    HealthController,
    ResourcesController,
)
from periscope_entrypoints.http.deps import dependencies
from periscope_entrypoints.http.errors import EXCEPTION_HANDLERS
from periscope_entrypoints.http.middleware import add_edge_headers

__all__ = ["create_app"]


def create_app(services: Services) -> Litestar:
    """The HTTP app over ``services``; the caller owns them and closes them after the app stops."""
    return Litestar(
        route_handlers=[
            HealthController,
            FeaturesController,
            ClustersController,
            CustomResourcesController,
            ResourcesController,
        ],
        dependencies=dependencies(services),
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[add_edge_headers],
        openapi_config=OpenAPIConfig(
            title="Periscope",
            version=services.settings.version,
            # Not under /api: the schema router answers unknown sub-paths with an HTML page.
            path="/schema",
            render_plugins=[JsonRenderPlugin(path="/openapi.json")],
        ),
        # The process owner (CLI, tests, an embedding app) configures logging, not the app.
        logging_config=None,
        debug=False,
    )
