"""The composition root: settings in, connected services out.

The HTTP app and the CLI both start here, so a cluster is reached the same way
whichever door a request came in by. Tests pass their own backends instead of the
installed ones; nothing here is global.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from periscope_core.domain.clusters import BUILTIN_BACKENDS, ClusterRegistry
from periscope_core.domain.errors import ConfigError
from periscope_core.domain.identity import BRIDGE, Impersonation, Principal
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.services.backends import load_backends
from periscope_core.services.browse import BrowseService
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.registry import load_registry
from periscope_entrypoints.settings import Settings

__all__ = ["Services", "Settings", "bootstrap", "load_directory"]


@dataclass(frozen=True, slots=True)
class Services:
    """What an entrypoint works with; close it when done."""

    settings: Settings
    directory: ClusterDirectory
    browse: BrowseService

    def dev_identity(self) -> tuple[Principal, Impersonation]:
        """Dev mode: the configured principal, calling clusters as the bridge identity."""
        return self.settings.dev_principal, BRIDGE

    async def aclose(self) -> None:
        await self.directory.aclose()


def load_directory(settings: Settings, *, backends: Mapping[str, ClusterBackend] | None = None) -> ClusterDirectory:
    """The cluster directory for the registry the settings name (an empty one without a file).

    Raises ConfigError listing every problem in the file, including entries whose
    backend is not installed or rejects them.
    """
    installed = dict(load_backends() if backends is None else backends)
    if settings.clusters_file:
        registry = load_registry(settings.clusters_file, backends=(*BUILTIN_BACKENDS, *installed))
        registry_dir = str(Path(settings.clusters_file).resolve().parent)
    else:
        registry, registry_dir = ClusterRegistry(), "."
    context = BackendContext(registry_dir=registry_dir, data_dir=settings.data_dir)
    directory = ClusterDirectory(registry, installed, context, request_timeout=settings.request_timeout)
    problems = directory.validate()
    if problems:
        raise ConfigError(problems)
    return directory


async def bootstrap(settings: Settings, *, backends: Mapping[str, ClusterBackend] | None = None) -> Services:
    """Build the services for ``settings``; connections are opened lazily, per cluster."""
    directory = load_directory(settings, backends=backends)
    return Services(settings=settings, directory=directory, browse=BrowseService(directory))
