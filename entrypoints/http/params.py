"""Handler parameter types, declared explicitly (path, query, dependency) as Litestar 3 requires."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

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
# Names and namespaces become segments of apiserver URLs: a dot segment, "/", "?", "#" or "%"
# there would move the request to another object (every Secret, listed through an editor route),
# and no Kubernetes name holds those or control characters. A path parameter holds no "/" unless
# it is a whole sub-path (the OpenAPI documents), which checks its own segments.
_NOT_IN_NAMES = r"?#%\\\x00-\x1f\x7f"
PathStr = Annotated[str, PathParameter(pattern=rf"^(?!\.\.?$)[^{_NOT_IN_NAMES}]*$")]
Namespace = Annotated[str | None, QueryParameter(pattern=rf"^(?!\.\.?$)[^/{_NOT_IN_NAMES}]*$",
                                                 description="Only this namespace; all namespaces when absent.")]
Limit = Annotated[int, QueryParameter(ge=0, le=10_000, description="Page size; 0 returns everything.")]
Continue = Annotated[str, QueryParameter(name="continue", description="The previous page's continue token.")]
LabelSelector = Annotated[str, QueryParameter(name="labelSelector", description="A Kubernetes label selector.")]
FieldSelector = Annotated[str, QueryParameter(name="fieldSelector", description="A Kubernetes field selector.")]
