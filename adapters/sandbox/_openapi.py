"""OpenAPI v2 (``/openapi/v2``) and v3 (``/openapi/v3``) documents for the sandbox cluster.

Schemas come from `_openapi_defs` (the real Kubernetes definitions, and custom resources'
openAPIV3Schema); this module adds the paths and assembles one document per group-version.

What kubectl relies on, and so what the documents keep:

* ``kubectl explain`` reads ``/openapi/v3``, fetches the group-version's document, finds the
  collection path (``/api/v1/namespaces/{namespace}/pods``) whose operation carries
  ``x-kubernetes-group-version-kind``, then the ``components.schemas`` entry listing that GVK.
* Before ``create``/``apply``/``replace`` it checks that every PATCH operation of the kind
  takes the ``fieldValidation`` query parameter; if so it validates server-side.
* client-go asks for ``/openapi/v2`` as protobuf only; `openapi_v2` is the JSON form, so a
  server should answer 406 to a protobuf-only Accept (kubectl then falls back to built-in
  patch metadata) rather than send JSON kubectl cannot parse.

Returned documents share (cached) sub-objects: serialize them, never mutate them.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from typing import NamedTuple

import msgspec

from ._catalog import Catalog, ResourceType, is_builtin, subresource
from ._discovery import KUBERNETES_VERSION
from ._openapi_defs import META, Schema, closure, crd_definition_name, crd_definitions, definitions, gvk_index

__all__ = ["openapi_v2", "openapi_v3_document", "openapi_v3_index"]

_SHARED_ROOTS = tuple(META + n for n in ("DeleteOptions", "Status", "Patch", "ObjectMeta", "ListMeta"))
# Subresources that stream or proxy bytes: kube-apiserver documents no object schema for them.
_STREAMING = frozenset({"log", "exec", "attach", "portforward", "proxy"})
_PATCH_TYPES = ("application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json")
_STRATEGIC = "application/strategic-merge-patch+json"
_PRODUCES = ("application/json", "application/yaml")
_BEARER = {
    "type": "apiKey", "name": "authorization", "in": "header", "description": "Bearer Token authentication",
}

_PARAMETERS: dict[str, tuple[str, str]] = {
    "allowWatchBookmarks": ("boolean", "Asks the server to send BOOKMARK events during a watch."),
    "continue": ("string", "The continue token of a previous paginated list call."),
    "dryRun": ("string", "When present (value All), modifications are not persisted."),
    "fieldManager": ("string", "Name of the actor making the change, for field ownership."),
    "fieldSelector": ("string", "Restricts the returned objects by their fields."),
    "fieldValidation": ("string", "How unknown or duplicate fields are handled: Ignore, Warn or Strict."),
    "force": ("boolean", "Force an apply patch to take over fields owned by other managers."),
    "gracePeriodSeconds": ("integer", "Seconds before the object is deleted; zero deletes immediately."),
    "labelSelector": ("string", "Restricts the returned objects by their labels."),
    "limit": ("integer", "Maximum number of objects to return in one page."),
    "name": ("string", "Name of the object."),
    "namespace": ("string", "Object name and auth scope, such as for teams and projects."),
    "orphanDependents": ("boolean", "Deprecated: use propagationPolicy."),
    "pretty": ("string", "If 'true', then the output is pretty printed."),
    "propagationPolicy": ("string", "Garbage collection of dependents: Orphan, Background or Foreground."),
    "resourceVersion": ("string", "Constrains which resource versions the request may be served from."),
    "resourceVersionMatch": ("string", "How resourceVersion is applied to a list call."),
    "sendInitialEvents": ("boolean", "Starts a watch with synthetic events for the current state."),
    "timeoutSeconds": ("integer", "Timeout for the list or watch call."),
    "watch": ("boolean", "Watch for changes and return them as a stream of events."),
}
_WRITE = ("dryRun", "fieldManager", "fieldValidation")
_QUERY: dict[str, tuple[str, ...]] = {
    "get": (),
    "post": _WRITE,
    "put": _WRITE,
    "patch": (*_WRITE, "force"),
    "delete": ("dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy"),
    "list": ("allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
             "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch"),
    "deletecollection": ("continue", "dryRun", "fieldSelector", "gracePeriodSeconds", "labelSelector",
                         "limit", "orphanDependents", "propagationPolicy", "resourceVersion",
                         "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds"),
}
_OPERATION_VERB = {"get": "read", "put": "replace", "post": "create"}
_VERB_OPS = {
    "get": ("get", "get", "read the specified {kind}"),
    "update": ("put", "put", "replace the specified {kind}"),
    "patch": ("patch", "patch", "partially update the specified {kind}"),
    "delete": ("delete", "delete", "delete a {kind}"),
    "create": ("post", "post", "create a {kind}"),
}


class _Op(NamedTuple):
    method: str
    action: str
    gvk: tuple[str, str, str]
    body: str | None  # definition name of the request body
    response: str | None  # definition name of the 200 response
    description: str
    operation_id: str
    strategic: bool  # accepts strategic merge patches (built-in kinds only)


class _Path(NamedTuple):
    path_params: tuple[str, ...]
    ops: list[_Op]


def _camel(group: str) -> str:
    words = group.removesuffix(".k8s.io").replace("-", ".").split(".") if group else ["core"]
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def _schema_name(catalog: Catalog, group: str, version: str, kind: str) -> str | None:
    rt = catalog.by_kind(group, version, kind.removesuffix("List"))
    if rt is not None and not is_builtin(rt):
        return crd_definition_name(group, version, kind)
    return gvk_index().get((group, version, kind))


def _resource_paths(catalog: Catalog, rt: ResourceType) -> dict[str, _Path]:
    prefix = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
    scope = f"{prefix}/namespaces/{{namespace}}" if rt.namespaced else prefix
    ns = ("namespace",) if rt.namespaced else ()
    base = f"{_camel(rt.group)[:1].upper()}{_camel(rt.group)[1:]}{rt.version.capitalize()}"
    named = "Namespaced" if rt.namespaced else ""
    gvk = (rt.group, rt.version, rt.kind)
    strategic = is_builtin(rt)

    def op(verb: str, kind: tuple[str, str, str], suffix: str = "") -> _Op:
        method, action, text = _VERB_OPS[verb]
        schema = _schema_name(catalog, *kind)
        body = {"patch": META + "Patch", "put": schema, "post": schema}.get(method)
        op_id = f"{_OPERATION_VERB.get(method, method)}{base}{named}{rt.kind}{suffix}"
        return _Op(method, action, kind, body, schema, text.format(kind=kind[2]), op_id, strategic)

    paths: dict[str, _Path] = {}
    collection: list[_Op] = []
    if "list" in rt.verbs:
        list_schema = _schema_name(catalog, rt.group, rt.version, rt.list_kind)
        listing = f"list or watch objects of kind {rt.kind}"
        op_id = f"list{base}{named}{rt.kind}"
        collection.append(_Op("get", "list", gvk, None, list_schema, listing, op_id, strategic))
        if rt.namespaced:
            all_namespaces = collection[0]._replace(operation_id=f"list{base}{rt.kind}ForAllNamespaces")
            paths[f"{prefix}/{rt.plural}"] = _Path((), [all_namespaces])
    if "create" in rt.verbs:
        collection.append(op("create", gvk))
    if "deletecollection" in rt.verbs:
        collection.append(_Op("delete", "deletecollection", gvk, META + "DeleteOptions", META + "Status",
                              f"delete collection of {rt.kind}", f"deletecollection{base}{named}{rt.kind}",
                              strategic))
    paths[f"{scope}/{rt.plural}"] = _Path(ns, collection)
    item = [op(verb, gvk) for verb in ("get", "update", "patch", "delete") if verb in rt.verbs]
    if item:
        paths[f"{scope}/{rt.plural}/{{name}}"] = _Path(("name", *ns), item)
    for name in rt.subresources:
        sub = subresource(rt, name)
        if name in _STREAMING or _schema_name(catalog, sub.group, sub.version, sub.kind) is None:
            continue
        verbs = [v for v in ("get", "update", "patch", "create") if v in sub.verbs]
        ops = [op(v, (sub.group, sub.version, sub.kind), name.capitalize()) for v in verbs]
        paths[f"{scope}/{rt.plural}/{{name}}/{name}"] = _Path(("name", *ns), ops)
    return paths


def _group_paths(catalog: Catalog, group: str, version: str) -> dict[str, _Path]:
    paths: dict[str, _Path] = {}
    for rt in catalog.resources(group, version):
        paths |= _resource_paths(catalog, rt)
    return dict(sorted(paths.items()))


def _definition_roots(catalog: Catalog, group: str, version: str) -> set[str]:
    roots = set(_SHARED_ROOTS)
    for path in _group_paths(catalog, group, version).values():
        roots.update(name for op in path.ops for name in (op.body, op.response) if name)
    return roots


def _schemas(catalog: Catalog, gvs: Iterable[tuple[str, str]], *, v3: bool) -> dict[str, Schema]:
    known = definitions(v3)
    roots: set[str] = set()
    custom: dict[str, Schema] = {}
    for group, version in gvs:
        roots |= _definition_roots(catalog, group, version)
        for rt in catalog.resources(group, version):
            if not is_builtin(rt):
                custom |= crd_definitions(catalog, rt, v3=v3)
    return {name: known[name] for name in closure(roots)} | dict(sorted(custom.items()))


# --- rendering ----------------------------------------------------------------------------


def _gvk_extension(gvk: tuple[str, str, str]) -> dict[str, str]:
    return {"group": gvk[0], "version": gvk[1], "kind": gvk[2]}


def _tag(group: str, version: str) -> str:
    return f"{_camel(group)}_{version}"


def _request_types(op: _Op) -> tuple[str, ...]:
    if op.method != "patch":
        return ("*/*",)
    return (*_PATCH_TYPES, _STRATEGIC) if op.strategic else _PATCH_TYPES


def _v3_parameter(name: str, where: str = "query") -> Schema:
    kind, description = _PARAMETERS[name]
    param: Schema = {"name": name, "in": where, "description": description}
    if where == "path":
        param["required"] = True
    return param | {"schema": {"type": kind, "uniqueItems": True}}


def _v3_operation(op: _Op, tag: str) -> Schema:
    out: Schema = {"tags": [tag], "description": op.description, "operationId": op.operation_id}
    if _QUERY[op.action]:
        out["parameters"] = [_v3_parameter(name) for name in _QUERY[op.action]]
    if op.body:
        ref = {"schema": {"$ref": "#/components/schemas/" + op.body}}
        content = {t: ref for t in _request_types(op)}
        out["requestBody"] = {"content": content, "required": op.method != "delete"}
    ok: Schema = {"description": "OK"}
    if op.response:
        ok["content"] = {t: {"schema": {"$ref": "#/components/schemas/" + op.response}} for t in _PRODUCES}
    out["responses"] = {"200": ok, "401": {"description": "Unauthorized"}}
    return out | {"x-kubernetes-action": op.action, "x-kubernetes-group-version-kind": _gvk_extension(op.gvk)}


def _v2_parameter(name: str, where: str = "query") -> Schema:
    kind, description = _PARAMETERS[name]
    param: Schema = {"uniqueItems": True, "type": kind, "description": description, "name": name, "in": where}
    return param | ({"required": True} if where == "path" else {})


def _v2_operation(op: _Op, tag: str) -> Schema:
    params = [_v2_parameter(name) for name in _QUERY[op.action]]
    if op.body:
        body = {"name": "body", "in": "body", "required": op.method != "delete",
                "schema": {"$ref": "#/definitions/" + op.body}}
        params.insert(0, body)
    ok: Schema = {"description": "OK"}
    if op.response:
        ok["schema"] = {"$ref": "#/definitions/" + op.response}
    out: Schema = {
        "description": op.description,
        "consumes": list(_request_types(op)),
        "produces": list(_PRODUCES),
        "schemes": ["https"],
        "tags": [tag],
        "operationId": op.operation_id,
    }
    if params:
        out["parameters"] = params
    out["responses"] = {"200": ok, "401": {"description": "Unauthorized"}}
    return out | {"x-kubernetes-action": op.action, "x-kubernetes-group-version-kind": _gvk_extension(op.gvk)}


def _render_paths(catalog: Catalog, group: str, version: str, *, v3: bool) -> dict[str, Schema]:
    param, operation = (_v3_parameter, _v3_operation) if v3 else (_v2_parameter, _v2_operation)
    rendered: dict[str, Schema] = {}
    for url, path in _group_paths(catalog, group, version).items():
        item: Schema = {op.method: operation(op, _tag(group, version)) for op in path.ops}
        item["parameters"] = [*(param(p, "path") for p in path.path_params), param("pretty")]
        rendered[url] = item
    return rendered


class _Key:
    """Hashes a catalog by its fingerprint, so documents are cached per catalog content."""

    __slots__ = ("catalog", "fingerprint")

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.fingerprint = catalog.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and other.fingerprint == self.fingerprint


@functools.lru_cache(maxsize=8)
def _v2(key: _Key) -> Schema:
    gvs = [(g, v) for g, versions in key.catalog.group_versions() for v in versions]
    paths: dict[str, Schema] = {}
    for group, version in gvs:
        paths |= _render_paths(key.catalog, group, version, v3=False)
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": dict(sorted(paths.items())),
        "definitions": _schemas(key.catalog, gvs, v3=False),
        "securityDefinitions": {"BearerToken": _BEARER},
        "security": [{"BearerToken": []}],
    }


def openapi_v2(catalog: Catalog) -> Schema:
    """``/openapi/v2``: one Swagger 2.0 document for every group-version, CRDs included."""
    return _v2(_Key(catalog))


@functools.lru_cache(maxsize=256)
def _v3(key: _Key, group: str, version: str) -> Schema | None:
    if not key.catalog.resources(group, version):
        return None
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
        "paths": _render_paths(key.catalog, group, version, v3=True),
        "components": {
            "schemas": _schemas(key.catalog, [(group, version)], v3=True),
            "securitySchemes": {"BearerToken": _BEARER},
        },
    }


def openapi_v3_document(catalog: Catalog, group: str, version: str) -> Schema | None:
    """``/openapi/v3/api/v1`` or ``/openapi/v3/apis/<group>/<version>``; None if not served."""
    return _v3(_Key(catalog), group, version)


@functools.lru_cache(maxsize=8)
def _index(key: _Key) -> Schema:
    paths = {}
    for group, versions in key.catalog.group_versions():
        for version in versions:
            path = f"apis/{group}/{version}" if group else f"api/{version}"
            digest = hashlib.sha512(msgspec.json.encode(_v3(key, group, version))).hexdigest().upper()
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}


def openapi_v3_index(catalog: Catalog) -> Schema:
    """``/openapi/v3``: each group-version's document URL, versioned by a hash of its content."""
    return _index(_Key(catalog))
