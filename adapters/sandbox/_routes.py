"""Request paths to request info, as kube-apiserver's RequestInfoFactory reads them.

Resource paths are `/api/v1/...` (core group) and `/apis/<group>/<version>/...`, then
`[watch/]` (the legacy watch prefix), then `namespaces/<ns>/<resource>[/<name>[/<sub>...]]`
or `<resource>[/<name>[/<sub>...]]`. A namespace's own subresources (`status`, `finalize`)
keep `namespaces` as the resource. Everything else is a non-resource path, authorized by
path and lower-cased HTTP method.
"""

from __future__ import annotations

from urllib.parse import unquote

import msgspec

_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
_VERBS = {
    "GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete",
}


class RequestInfo(msgspec.Struct, frozen=True):
    """What a request addresses; `verb` is the RBAC verb (list, watch, deletecollection, ...)."""

    path: str
    verb: str
    resource_request: bool = False
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""
    legacy_watch: bool = False


def split_path(path: str) -> list[str]:
    """Path segments, each percent-decoded on its own so an encoded '/' stays inside a name."""
    return [unquote(part) for part in path.strip("/").split("/") if part]


def is_true(value: str | None) -> bool:
    """Query booleans as the apiserver parses them (kubectl sends `true`, Python clients `True`)."""
    return value is not None and value.lower() in ("true", "1", "t")


def parse_request(method: str, path: str, query: dict[str, str]) -> RequestInfo:
    parts = split_path(path)
    clean = "/" + "/".join(parts)
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        rest = []
    if not rest:
        return RequestInfo(path=clean, verb=method.lower())
    verb = _VERBS.get(method.upper(), method.lower())
    legacy_watch = rest[0] == "watch"
    if legacy_watch:
        verb, rest = "watch", rest[1:]
    namespace = ""
    if rest and rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    if not rest:
        return RequestInfo(path=clean, verb=method.lower())
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if resource == "namespaces" and name:
        namespace = name
    if not name and verb == "get":
        verb = "watch" if is_true(query.get("watch")) else "list"
    if not name and verb in ("list", "watch"):
        name = _exact_name(query.get("fieldSelector", ""))
    if not name and verb == "delete":
        verb = "deletecollection"
    return RequestInfo(
        path=clean,
        verb=verb,
        resource_request=True,
        group=group,
        version=version,
        namespace=namespace,
        resource=resource,
        name=name,
        subresource=subresource,
        legacy_watch=legacy_watch,
    )


def _exact_name(field_selector: str) -> str:
    """The name a `metadata.name=x` term pins, which RBAC then checks against resourceNames."""
    for term in field_selector.split(","):
        key, sep, value = term.partition("==") if "==" in term else term.partition("=")
        if sep and key == "metadata.name" and "/" not in value and value not in (".", ".."):
            return value
    return ""
