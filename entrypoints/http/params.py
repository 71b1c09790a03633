"""Handler parameter types, declared explicitly (path, query, dependency) as Litestar 3 requires."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.deps import Caller

__all__ = [
    "CallerDep",
    "Continue",
    "FieldSelector",
    "LabelSelector",
    "Limit",
    "Namespace",
    "PathStr",
    "ServicesDep",
]

ServicesDep = NamedDependency[Services]
CallerDep = NamedDependency[Caller]
PathStr = FromPath[str]
Namespace = Annotated[str | None, QueryParameter(description="Only this namespace; all namespaces when absent.")]
Limit = Annotated[int, QueryParameter(ge=0, le=10_000, description="Page size; 0 returns everything.")]
Continue = Annotated[str, QueryParameter(name="continue", description="The previous page's continue token.")]
LabelSelector = Annotated[str, QueryParameter(name="labelSelector", description="A Kubernetes label selector.")]
FieldSelector = Annotated[str, QueryParameter(name="fieldSelector", description="A Kubernetes field selector.")]
