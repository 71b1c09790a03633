"""The composition root: settings in, connected services out.

The HTTP app and the CLI both start here, so a cluster is reached the same way
whichever door a request came in by. Tests pass their own backends instead of the
installed ones; nothing here is global.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from periscope_adapters.recordings import FileRecordingStore
from periscope_core.domain.authz import is_audit_admin
from periscope_core.domain.clusters import BUILTIN_BACKENDS, ClusterRegistry
from periscope_core.domain.errors import ConfigError
from periscope_core.ports.aws import AwsApi
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.services.actions import ActionsService
from periscope_core.services.audit import AuditPipeline
from periscope_core.services.audit_stdout import StdoutAuditSink
from periscope_core.services.backends import load_backends
from periscope_core.services.browse import BrowseService
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.editing import EditingService
from periscope_core.services.eks_upgrade import EksUpgradeService
from periscope_core.services.exec_sessions import ExecSessions
from periscope_core.services.fleet import FleetService
from periscope_core.services.helm import HelmService
from periscope_core.services.karpenter import KarpenterService
from periscope_core.services.logs import LogService
from periscope_core.services.openapi import OpenApiProxy
from periscope_core.services.registry import load_registry
from periscope_core.services.watch_hub import HubSettings, WatchHub
from periscope_entrypoints.agent_hub import AgentHub, agent_hub
from periscope_entrypoints.audit_storage import AuditStorage, open_audit_storage
from periscope_entrypoints.identity import Identity, load_identity
from periscope_entrypoints.settings import Settings

__all__ = ["Services", "Settings", "bootstrap", "load_directory"]


@dataclass(frozen=True, slots=True)
class Services:
    """What an entrypoint works with; close it when done."""

    settings: Settings
    directory: ClusterDirectory
    browse: BrowseService
    editing: EditingService
    actions: ActionsService
    openapi: OpenApiProxy
    audit: AuditPipeline
    exec_sessions: ExecSessions
    identity: Identity
    watch_hub: WatchHub
    """Live lists; the HTTP server runs it (``async with``) for as long as it serves."""
    logs: LogService
    """Pod and workload logs; run by the HTTP server like ``watch_hub``."""
    fleet: FleetService
    karpenter: KarpenterService
    helm: HelmService
    eks: EksUpgradeService
    """The EKS upgrade views (insights, node groups, add-ons), through ``aws``."""
    aws: AwsApi | None = None
    """AWS calls as Periscope's own AWS identity; None without the aws extra."""
    agents: AgentHub | None = None
    """Agent tunnels (their listener, CA and tokens) when any cluster is reached through an agent."""
    audit_storage: AuditStorage | None = None
    """The audit database (None: audit storage is off); the HTTP server runs its maintenance."""

    async def aclose(self) -> None:
        await self.audit.aclose()
        if self.audit_storage is not None:
            await self.audit_storage.aclose()
        await self.directory.aclose()
        await self.identity.aclose()
        if self.aws is not None:
            await self.aws.aclose()


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


def default_aws_api() -> AwsApi | None:
    """AWS through aiobotocore and the default credential chain, when the aws extra is installed."""
    try:
        from periscope_adapters.eks import BotocoreAwsApi
    except ImportError:
        return None
    return BotocoreAwsApi()


async def bootstrap(
    settings: Settings, *, backends: Mapping[str, ClusterBackend] | None = None, aws: AwsApi | None = None
) -> Services:
    """Build the services for ``settings``; connections are opened lazily, per cluster.

    ``aws`` replaces the default AWS adapter (tests point one at their AWS peers).

    The identity provider and the session store are opened by the server (``Identity.open``);
    the audit database is opened here, and a newer schema in it raises AuditSchemaTooNew.
    """
    identity = load_identity(settings)
    installed = dict(load_backends() if backends is None else backends)
    directory = load_directory(settings, backends=installed)
    agents = agent_hub(settings, directory.entries(), installed)
    audit_storage = await open_audit_storage(settings.audit)
    sinks = [StdoutAuditSink(), *([audit_storage.sink] if audit_storage else [])]
    audit = AuditPipeline(sinks, queue_size=settings.audit.queue_size)
    exec_sessions = ExecSessions(directory, defaults=settings.exec_policy(), audit=audit,
                                 recordings=FileRecordingStore(settings.recordings_dir),
                                 is_admin=partial(is_audit_admin, authz=identity.config.authorization))
    if settings.probe_clusters_on_boot:
        await exec_sessions.probe([entry.name for entry in directory.entries()])
    browse = BrowseService(directory)
    aws = aws if aws is not None else default_aws_api()
    return Services(
        settings=settings, directory=directory, browse=browse, editing=EditingService(directory),
        actions=ActionsService(directory), openapi=OpenApiProxy(directory), audit=audit, exec_sessions=exec_sessions,
        identity=identity,
        watch_hub=WatchHub(directory, settings=HubSettings(per_user_limit=settings.watch_per_user_limit,
                                                           ping_interval=settings.stream_ping_seconds)),
        logs=LogService(directory, ping_interval=settings.stream_ping_seconds), audit_storage=audit_storage,
        fleet=FleetService(directory, browse), karpenter=KarpenterService(directory), helm=HelmService(directory),
        agents=agents, eks=EksUpgradeService(directory, aws, identity.can_i), aws=aws,
    )
