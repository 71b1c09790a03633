"""One controller per resource family; each handler is a service call plus a schema."""

from periscope_entrypoints.http.controllers.clusters import ClustersController
from periscope_entrypoints.http.controllers.customresources import CustomResourcesController
from periscope_entrypoints.http.controllers.features import FeaturesController
from periscope_entrypoints.http.controllers.health import HealthController
from periscope_entrypoints.http.controllers.resources import ResourcesController

__all__ = [
    "ClustersController",
    "CustomResourcesController",
    "FeaturesController",
    "HealthController",
    "ResourcesController",
]
