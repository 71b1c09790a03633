"""HTTP response shapes: camelCase msgspec Structs, kept apart from the domain types."""

from __future__ import annotations

import msgspec

from periscope_core.domain.clusters import ClusterSummary
from periscope_core.services.audit import AuditHealth
from periscope_core.services.crds import CrdInfo
from periscope_entrypoints.audit_storage import ChainStatus

__all__ = ["ClustersResponse", "CrdsResponse", "FeaturesResponse", "HealthResponse"]


class CamelStruct(msgspec.Struct, rename="camel"):
    """Base of the HTTP schemas: snake_case in Python, camelCase on the wire."""


class HealthResponse(CamelStruct, omit_defaults=True):
    status: str
    version: str | None = None
    clusters: int | None = None
    audit: AuditHealth | None = None
    """The audit pipeline: queued and lost rows, each sink's last error and since when."""
    audit_chain: ChainStatus | None = None
    """The last check of the audit log's hash chain (audit storage on)."""


class FeaturesResponse(CamelStruct):
    watch_streams: list[str]
    version: str
    commit: str
    channel: str


class ClustersResponse(CamelStruct):
    clusters: list[ClusterSummary]


class CrdsResponse(CamelStruct):
    crds: list[CrdInfo]
