"""Summary rows for list views, decoded straight from the apiserver's list body."""

from __future__ import annotations

from typing import Any

from periscope_core.services.projections._base import GENERIC, ListPage, Meta, Projection, Summary, common
from periscope_core.services.projections.resources import (
    RESOURCE_PROJECTIONS,
    ConfigMapSummary,
    EventSummary,
    NamespaceSummary,
    NodeSummary,
    ObjectRef,
    SecretSummary,
    ServicePort,
    ServiceSummary,
    event_time,
)
from periscope_core.services.projections.workloads import (
    WORKLOAD_PROJECTIONS,
    CronJobSummary,
    DaemonSetSummary,
    JobSummary,
    PodSummary,
    WorkloadSummary,
)

__all__ = [
    "ConfigMapSummary",
    "CronJobSummary",
    "DaemonSetSummary",
    "EventSummary",
    "JobSummary",
    "ListPage",
    "Meta",
    "NamespaceSummary",
    "NodeSummary",
    "ObjectRef",
    "PodSummary",
    "SecretSummary",
    "ServicePort",
    "ServiceSummary",
    "Summary",
    "WorkloadSummary",
    "common",
    "event_time",
    "project_list",
    "project_object",
]

_PROJECTIONS: dict[str, Projection[Any]] = {**WORKLOAD_PROJECTIONS, **RESOURCE_PROJECTIONS}


def project_list(plural: str, body: bytes) -> ListPage:
    """One page of summary rows from a list body of the kind served under ``plural``."""
    return _PROJECTIONS.get(plural, GENERIC).page(body)


def project_object(plural: str, obj: dict[str, Any]) -> Summary:
    """The summary row of one object of the kind served under ``plural``: the row ``project_list`` gives it."""
    return _PROJECTIONS.get(plural, GENERIC).row(obj)
