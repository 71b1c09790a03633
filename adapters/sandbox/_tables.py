"""``meta.k8s.io/v1`` Tables, as kube-apiserver returns them to ``kubectl get``.

Which columns a type gets follows the real server:

* built-in kinds with a printer (`_print_workloads`, `_print_cluster`) get its columns;
* other built-in kinds (roles, limit ranges, CRDs themselves, ...) get the default
  ``Name`` and ``Created At`` (an RFC 3339 timestamp);
* custom resources get ``Name`` plus their CRD's additionalPrinterColumns, evaluated with a
  JSONPath subset, or ``Name`` and ``Age`` when the CRD declares none.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from ._catalog import ResourceType, is_builtin
from ._print_cluster import CLUSTER_PRINTERS
from ._print_util import NAME, Column, Obj, Printer, age, get, name_of
from ._print_workloads import WORKLOAD_PRINTERS

__all__ = ["INCLUDE_OBJECT", "to_table"]

INCLUDE_OBJECT = ("None", "Metadata", "Object")

_PRINTERS = WORKLOAD_PRINTERS | CLUSTER_PRINTERS
_CREATED_AT = Column("Created At", "date", "Time the object was created, in RFC 3339 form.")
_AGE_DATE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp",
             "description": "Time since the object was created."}
_POD_DONE = {
    "Succeeded": {"type": "Completed", "status": "True", "reason": "Succeeded",
                  "message": "The pod has completed successfully."},
    "Failed": {"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."},
}


def to_table(
    rt: ResourceType,
    objects: list[Obj],
    *,
    now: datetime,
    include_object: str = "Metadata",
    resource_version: str = "",
    continue_token: str = "",
) -> dict[str, Any]:
    """Render `objects` of type `rt` as a Table; `now` is the clock that ages are measured against.

    `include_object` is the request's ``includeObject`` ("Metadata" when empty): each row then
    carries PartialObjectMetadata, the whole object, or nothing. Raises ValueError for any
    other value (kube-apiserver answers 400 Bad Request).
    """
    include = include_object or "Metadata"
    if include not in INCLUDE_OBJECT:
        raise ValueError(f'unrecognized includeObject value: "{include_object}"')
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    printer = _printer(rt)
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": printer.cells(obj, now)}
        if rt.group == "" and rt.kind == "Pod" and get(obj, "status", "phase") in _POD_DONE:
            row["conditions"] = [_POD_DONE[obj["status"]["phase"]]]
        if include == "Object":
            row["object"] = obj
        elif include == "Metadata":
            partial = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1"}
            row["object"] = partial | {"metadata": obj.get("metadata") or {}}
        rows.append(row)
    metadata = {"resourceVersion": resource_version} if resource_version else {}
    if continue_token:
        metadata["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": [
            {"name": c.name, "type": c.type, "format": c.format, "description": c.description,
             "priority": c.priority}
            for c in printer.columns
        ],
        "rows": rows,
    }


def _printer(rt: ResourceType) -> Printer:
    if is_builtin(rt):
        found = _PRINTERS.get((rt.group, rt.kind))
        if found is not None:
            return found
        return Printer((NAME, _CREATED_AT), _created_at_cells)
    return _custom_printer(rt.printer_columns or (_AGE_DATE,))


def _created_at_cells(obj: Obj, now: datetime) -> list[Any]:
    """The default table convertor's cells: the name and the raw creation timestamp."""
    return [name_of(obj), get(obj, "metadata", "creationTimestamp") or ""]


def _custom_printer(definitions: tuple[dict[str, Any], ...]) -> Printer:
    described = "Custom resource definition column (in JSONPath format): {}"
    columns = tuple(
        Column(
            d.get("name", ""),
            d.get("type", "string"),
            d.get("description") or described.format(d.get("jsonPath")),
            int(d.get("priority", 0)),
            d.get("format", ""),
        )
        for d in definitions
    )
    paths = [_parse(str(d.get("jsonPath", ""))) for d in definitions]

    def cells(obj: Obj, now: datetime) -> list[Any]:
        values = []
        for column, path in zip(columns, paths, strict=True):
            found = _evaluate(path, obj)
            values.append(_cell(column.type, found[0], now) if found else None)
        return [name_of(obj), *values]

    return Printer((NAME, *columns), cells)


def _cell(kind: str, value: Any, now: datetime) -> Any:
    """cellForJSONValue, plus the text a string column prints for any JSON value."""
    if value is None:
        return None
    if kind == "string":
        return _text(value)
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        shown = age(value, now)
        return "<invalid>" if shown == "<unknown>" else shown
    return None


def _text(value: Any) -> str:
    """How Go's jsonpath prints a value: scalars bare, maps and lists as compact JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- JSONPath subset ------------------------------------------------------------------------
# Fields (``.a.b``, with ``\.`` escaping a dot in a key), ``['key']``, ``[0]``, ``[*]`` and
# filters ``[?(@.a.b=="x")]`` / ``!=``: what CRD printer columns use in practice.

_FILTER = re.compile(
    r"""\[\?\(@((?:\.(?:\\.|[^.=!\s])+)+)\s*(==|!=)\s*(?:"([^"]*)"|'([^']*)'|([^)\s]+))\s*\)\]"""
)
_BRACKET = re.compile(r"""\[(?:'([^']*)'|"([^"]*)"|(\*)|(-?\d+))\]""")
_FIELD = re.compile(r"\.((?:\\.|[^.\[\\])*)")

Segment = tuple[str, Any]


def _parse(path: str) -> list[Segment]:
    """Split a JSONPath (with or without surrounding braces) into segments."""
    text = path.strip().removeprefix("{").removesuffix("}").removeprefix("$")
    segments: list[Segment] = []
    pos = 0
    while pos < len(text):
        if match := _FILTER.match(text, pos):
            keys = [k.replace("\\.", ".") for k in re.findall(r"\.((?:\\.|[^.\\])+)", match.group(1))]
            quoted = match.group(3) if match.group(3) is not None else match.group(4)
            literal: Any = quoted if quoted is not None else _literal(match.group(5))
            segments.append(("filter", (keys, match.group(2), literal)))
        elif match := _BRACKET.match(text, pos):
            key, key2, star, index = match.groups()
            if star:
                segments.append(("all", None))
            elif index is not None:
                segments.append(("index", int(index)))
            else:
                segments.append(("key", key if key is not None else key2))
        elif match := _FIELD.match(text, pos):
            if match.group(1):
                segments.append(("key", match.group(1).replace("\\.", ".")))
        else:
            raise ValueError(f"unsupported JSONPath {path!r} at {text[pos:]!r}")
        pos = match.end()
    return segments


def _literal(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _step(kind: str, arg: Any, value: Any) -> list[Any]:
    """What one segment selects from one value."""
    if kind == "key":
        return [value[arg]] if isinstance(value, dict) and arg in value else []
    if kind == "index":
        return [value[arg]] if isinstance(value, list) and -len(value) <= arg < len(value) else []
    if kind == "all":
        if isinstance(value, dict):
            return list(value.values())
        return list(value) if isinstance(value, list) else []
    if not isinstance(value, list):
        return []
    keys, op, literal = arg
    path = [("key", k) for k in keys]
    return [v for v in value if (_evaluate(path, v)[:1] == [literal]) == (op == "==")]


def _evaluate(segments: list[Segment], obj: Any) -> list[Any]:
    current = [obj]
    for kind, arg in segments:
        current = [found for value in current for found in _step(kind, arg, value)]
    return current
