"""The Litestar application: routes, dependencies, error mapping and edge headers."""

from __future__ import annotations

from litestar import Litestar
from litestar.exceptions import NotFoundException
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
from periscope_entrypoints.http.controllers.actions import ActionsController
from periscope_entrypoints.http.controllers.agents import AgentsController
from periscope_entrypoints.http.controllers.audit import AuditController
from periscope_entrypoints.http.controllers.auth import ActorController, AuthController
from periscope_entrypoints.http.controllers.can_i import CanIController
from periscope_entrypoints.http.controllers.editing import EditingController, OpenApiController
from periscope_entrypoints.http.controllers.eks import EksController
from periscope_entrypoints.http.controllers.exec import ExecController, ExecSessionsController
from periscope_entrypoints.http.controllers.fleet import FleetController
from periscope_entrypoints.http.controllers.helm import HelmController
from periscope_entrypoints.http.controllers.karpenter import KarpenterController
from periscope_entrypoints.http.controllers.logs import LogsController
from periscope_entrypoints.http.controllers.watch import CustomWatchController, DebugStreamsController
from periscope_entrypoints.http.deps import dependencies
from periscope_entrypoints.http.errors import EXCEPTION_HANDLERS
from periscope_entrypoints.http.middleware import edge_headers, request_id_middleware
from periscope_entrypoints.http.session_gate import session_gate
from periscope_entrypoints.http.spa import locate_ui, spa_not_found_handler

__all__ = ["create_app"]


def create_app(services: Services) -> Litestar:
    """The HTTP app over ``services``; the caller owns them and closes them after the app stops."""
    return Litestar(
        route_handlers=[
            HealthController,
            FeaturesController,
            ClustersController,
            FleetController,
            KarpenterController,
            EksController,
            HelmController,
            CustomResourcesController,
            ResourcesController,
            EditingController, OpenApiController, ActionsController,
            ExecController, ExecSessionsController,
            AuthController, ActorController, CanIController, AuditController, AgentsController,
            CustomWatchController, LogsController, DebugStreamsController,
        ],
        middleware=[request_id_middleware, session_gate(services)],
        dependencies=dependencies(services),
        exception_handlers={
            **EXCEPTION_HANDLERS, NotFoundException: spa_not_found_handler(locate_ui(services.settings.ui_dir)),
        },
        before_send=[edge_headers(
            services.identity.config.session,
            identity_provider=services.identity.config.oidc.issuer if services.identity.mode == "oidc" else "",
        )],
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
