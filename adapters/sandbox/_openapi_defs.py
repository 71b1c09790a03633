"""The schemas behind the OpenAPI documents: built-in definitions and custom resource schemas.

Built-in definitions come from the ``kubernetes-validate`` package, which ships kube-apiserver's
OpenAPI definitions rendered as JSON Schema for each Kubernetes minor version; they are turned
back into the shapes kube-apiserver serves (Swagger 2.0 and OpenAPI 3.0 flavours). Custom
resources get the kind and list schemas apiextensions-apiserver publishes for them.
`definitions` returns shared, cached schemas: never mutate them.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from ._catalog import Catalog, ResourceType
from ._discovery import version_info

__all__ = [
    "META",
    "Schema",
    "closure",
    "crd_definition_name",
    "crd_definitions",
    "definitions",
    "gvk_index",
]

Schema = dict[str, Any]

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


@functools.cache
def _raw_definitions() -> dict[str, Schema]:
    folder = f"v1.{version_info()['minor']}.0-local"
    schemas = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
    path = schemas / folder / "_definitions.json"
    defs: dict[str, Schema] = msgspec.json.decode(path.read_bytes())["$defs"]
    return defs


def _walk(schema: Schema, node: Callable[[Schema], Schema]) -> Schema:
    """Rebuild `schema` bottom-up, passing every nested schema (not every dict) through `node`."""
    out: Schema = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties") and isinstance(value, dict):
            out[key] = {name: _walk(sub, node) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = _walk(value, node)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_walk(sub, node) for sub in value]
        else:
            out[key] = value
    return node(out)


def _from_json_schema(prefix: str) -> Callable[[Schema], Schema]:
    """Undo kubernetes-validate's JSON Schema rendering: nullable type lists, local $refs."""

    def node(schema: Schema) -> Schema:
        types = schema.get("type")
        if isinstance(types, list):
            concrete = [t for t in types if t != "null"]
            schema = {k: v for k, v in schema.items() if k != "type"}
            if len(concrete) == 1:
                schema["type"] = concrete[0]
        if "$ref" in schema:
            schema["$ref"] = prefix + schema["$ref"].rsplit("/", 1)[-1]
        return schema

    return node


def _wrap_ref(schema: Schema) -> Schema:
    """OpenAPI 3.0 ignores siblings of $ref, so kube-apiserver wraps such refs in allOf."""
    if "$ref" in schema and len(schema) > 1:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return {"allOf": [{"$ref": schema["$ref"]}], **rest}
    return schema


def _serving_form(name: str, raw: Schema, *, v3: bool) -> Schema:
    description = raw.get("description", "")
    if name == _INT_OR_STRING:
        if v3:
            alternatives = [{"type": "integer"}, {"type": "string"}]
            return {"description": description, "format": "int-or-string", "oneOf": alternatives}
        return {"description": description, "type": "string", "format": "int-or-string"}
    if name == _QUANTITY:
        if v3:
            return {"description": description, "oneOf": [{"type": "string"}, {"type": "number"}]}
        return {"description": description, "type": "string"}
    convert = _from_json_schema("#/components/schemas/" if v3 else "#/definitions/")
    schema = _walk(raw, (lambda s: _wrap_ref(convert(s))) if v3 else convert)
    # The JSON Schema rendering pins apiVersion and kind with enums the served document lacks.
    for field in ("apiVersion", "kind"):
        prop = schema.get("properties", {}).get(field)
        if prop is not None and "enum" in prop:
            schema["properties"][field] = {k: v for k, v in prop.items() if k != "enum"}
    return schema


@functools.cache
def definitions(v3: bool) -> dict[str, Schema]:
    return {name: _serving_form(name, raw, v3=v3) for name, raw in _raw_definitions().items()}


@functools.cache
def _references() -> dict[str, frozenset[str]]:
    """The definitions each definition refers to directly."""

    def refs(value: Any) -> Iterable[str]:
        if isinstance(value, dict):
            for key, sub in value.items():
                if key == "$ref" and isinstance(sub, str):
                    yield sub.rsplit("/", 1)[-1]
                else:
                    yield from refs(sub)
        elif isinstance(value, list):
            for sub in value:
                yield from refs(sub)

    return {name: frozenset(refs(schema)) for name, schema in _raw_definitions().items()}


def closure(roots: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    todo = [r for r in roots if r in _references()]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_references()[name] - seen)
    return sorted(seen)


@functools.cache
def gvk_index() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, schema in sorted(_raw_definitions().items()):
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            index.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)
    return index


def _meta_description(definition: str, field: str) -> str:
    return str(_raw_definitions()[definition]["properties"][field]["description"])


# --- custom resource definitions --------------------------------------------------------


def crd_definition_name(group: str, version: str, kind: str) -> str:
    """kube-openapi's REST-friendly name: the group reversed, e.g. ``sh.karpenter.v1.NodePool``."""
    return ".".join([*reversed(group.split(".")), version, kind])


def _prune_for_v2(schema: Schema) -> Schema:
    """Swagger 2.0 has no anyOf/oneOf/not/nullable; apiextensions-apiserver drops them."""
    return {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf", "not", "nullable")}


def crd_definitions(catalog: Catalog, rt: ResourceType, *, v3: bool) -> dict[str, Schema]:
    """The kind and list-kind schemas apiextensions-apiserver publishes for one CRD version."""
    prefix = "#/components/schemas/" if v3 else "#/definitions/"
    fix: Callable[[Schema], Schema] = _wrap_ref if v3 else (lambda s: s)
    object_kind = "io.k8s.api.core.v1.ConfigMap"
    name = crd_definition_name(rt.group, rt.version, rt.kind)
    crd_schema = catalog.crd_schema(rt.group, rt.version, rt.kind) or {"type": "object"}
    # Rebuilt, never shared: the catalog's copy must stay as registered.
    schema = _walk(crd_schema, (lambda s: s) if v3 else _prune_for_v2)
    common = {
        "apiVersion": {"description": _meta_description(object_kind, "apiVersion"), "type": "string"},
        "kind": {"description": _meta_description(object_kind, "kind"), "type": "string"},
    }
    meta = {"description": _meta_description(object_kind, "metadata"), "$ref": prefix + META + "ObjectMeta"}
    schema["properties"] = {**schema.get("properties", {}), **common, "metadata": fix(meta)}
    schema["x-kubernetes-group-version-kind"] = [{"group": rt.group, "kind": rt.kind, "version": rt.version}]
    list_meta = {
        "description": _meta_description(object_kind + "List", "metadata"),
        "$ref": prefix + META + "ListMeta",
    }
    items = {"description": f"List of {rt.plural}.", "type": "array", "items": {"$ref": prefix + name}}
    list_schema = {
        "description": f"{rt.list_kind} is a list of {rt.kind}",
        "type": "object",
        "required": ["items"],
        "properties": {**common, "items": items, "metadata": fix(list_meta)},
        "x-kubernetes-group-version-kind": [{"group": rt.group, "kind": rt.list_kind, "version": rt.version}],
    }
    return {name: schema, crd_definition_name(rt.group, rt.version, rt.list_kind): list_schema}
