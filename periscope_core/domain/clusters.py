"""The cluster registry: which clusters Periscope reaches, and how."""

from __future__ import annotations

import re

import msgspec

BUILTIN_BACKENDS = ("eks", "kubeconfig", "in-cluster", "agent")
_CLUSTER_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_EKS_ARN = re.compile(
    r"^arn:aws[a-z-]*:eks:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):cluster/(?P<name>[A-Za-z0-9][\w-]*)$"
)


def is_cluster_name(name: str) -> bool:
    """A DNS-1123 label of at most 63 characters: what a registry name (and an agent's certificate CN) must be."""
    return _CLUSTER_NAME.fullmatch(name) is not None


class EksArn(msgspec.Struct, frozen=True):
    """The parts of ``arn:aws:eks:<region>:<account>:cluster/<name>``."""

    region: str
    account: str
    name: str


def parse_eks_arn(arn: str) -> EksArn | None:
    """The cluster ARN's parts, or None when ``arn`` is not an EKS cluster ARN."""
    match = _EKS_ARN.match(arn)
    return None if match is None else EksArn(match["region"], match["account"], match["name"])


class ExecOverrides(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Per-cluster partial overrides of the global exec settings (None = inherit)."""

    enabled: bool | None = None
    serverIdleSeconds: int | None = None
    idleWarnSeconds: int | None = None
    heartbeatSeconds: int | None = None
    maxSessionsPerUser: int | None = None
    maxSessionsTotal: int | None = None
    recording: bool | None = None
    """Record sessions on this cluster (asciinema v2); off unless switched on here or globally."""


class ClusterEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One entry of the registry file, in the original product's shape."""

    name: str
    backend: str = "eks"
    region: str = ""
    arn: str = ""
    kubeconfigPath: str = ""
    kubeconfigContext: str = ""
    environment: str = ""
    tags: dict[str, str] = {}
    exec: ExecOverrides = ExecOverrides()

    @property
    def exec_enabled(self) -> bool:
        return self.exec.enabled is not False


class ClusterRegistry(msgspec.Struct, frozen=True):
    clusters: tuple[ClusterEntry, ...] = ()
    source: str = ""
    warnings: tuple[str, ...] = ()
    """Problems that do not stop loading (e.g. an ignored override), for the start-up log."""

    def get(self, name: str) -> ClusterEntry | None:
        for entry in self.clusters:
            if entry.name == name:
                return entry
        return None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.clusters]


class ClusterSummary(msgspec.Struct, frozen=True, omit_defaults=True):
    """What ``GET /api/clusters`` shows of an entry: never a server file path."""

    name: str
    backend: str
    execEnabled: bool
    region: str = ""
    arn: str = ""
    kubeconfigContext: str = ""
    environment: str = ""
    tags: dict[str, str] = {}

    @classmethod
    def of(cls, entry: ClusterEntry) -> ClusterSummary:
        return cls(
            name=entry.name,
            backend=entry.backend,
            execEnabled=entry.exec_enabled,
            region=entry.region,
            arn=entry.arn,
            kubeconfigContext=entry.kubeconfigContext,
            environment=entry.environment,
            tags=dict(entry.tags),
        )
