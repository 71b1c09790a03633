"""Find the installed cluster backends."""

from __future__ import annotations

from importlib.metadata import entry_points

from periscope_core.domain.errors import ConfigError, ConfigProblem
from periscope_core.ports.backends import ClusterBackend

ENTRY_POINT_GROUP = "periscope.backends"


def load_backends() -> dict[str, ClusterBackend]:
    """Every backend registered under the ``periscope.backends`` entry-point group.

    A backend whose package is installed without its optional dependencies is left
    out, so a registry naming it fails validation with "unknown backend".
    """
    found: dict[str, ClusterBackend] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            factory = ep.load()
        except ImportError:
            continue
        backend = factory()
        if not isinstance(backend, ClusterBackend):
            raise ConfigError([ConfigProblem(file=ep.value, message=f"backend {ep.name!r} is not a ClusterBackend")])
        found[ep.name] = backend
    return found
