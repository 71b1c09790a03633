"""The JSONPath subset CRD printer columns use, evaluated on decoded objects.

Supported: ``.field`` (with ``\\.`` escaping a dot inside a key such as a label
name), ``['field']``, ``[N]`` (negative counts from the end), ``[*]`` and ``.*``,
and filters ``[?(@.path == "value")]`` / ``!=`` / bare ``[?(@.path)]``. That covers
every column in the CRDs we have met (Karpenter, cert-manager, Argo CD, Istio);
anything else raises ValueError when the path is compiled, so a bad column shows
as empty instead of failing the list.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import msgspec

__all__ = ["cell_value", "compile_path", "evaluate"]


class _Field(msgspec.Struct, frozen=True):
    name: str


class _Index(msgspec.Struct, frozen=True):
    index: int


class _All(msgspec.Struct, frozen=True):
    pass


class _Filter(msgspec.Struct, frozen=True):
    path: tuple[Any, ...]
    op: str  # "==", "!=" or "exists"
    value: Any = None


_FILTER = re.compile(r"^\?\(@((?:\.[^=!<>\s]+)*)\s*(?:(==|!=)\s*(.+?))?\s*\)$")


def _parse_literal(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise ValueError(f"unsupported filter value {text!r}") from exc


def _read_field(path: str, pos: int) -> tuple[str, int]:
    name: list[str] = []
    while pos < len(path) and path[pos] not in ".[":
        if path[pos] == "\\" and pos + 1 < len(path):
            pos += 1
        name.append(path[pos])
        pos += 1
    return "".join(name), pos


def _read_bracket(path: str, pos: int) -> tuple[Any, int]:
    depth, end = 0, pos
    quote = ""
    while end < len(path):
        char = path[end]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                break
        end += 1
    if end >= len(path):
        raise ValueError(f"unclosed '[' in {path!r}")
    inner = path[pos + 1 : end].strip()
    return _bracket_step(inner, path), end + 1


def _bracket_step(inner: str, path: str) -> Any:
    if inner == "*":
        return _All()
    if inner[:1] in "'\"" and inner[-1:] == inner[:1]:
        return _Field(inner[1:-1])
    if re.fullmatch(r"-?\d+", inner):
        return _Index(int(inner))
    match = _FILTER.match(inner)
    if match is None:
        raise ValueError(f"unsupported JSONPath step [{inner}] in {path!r}")
    sub, op, literal = match.groups()
    steps = compile_path(sub) if sub else ()
    if op is None:
        return _Filter(steps, "exists")
    return _Filter(steps, op, _parse_literal(literal))


@lru_cache(maxsize=512)
def compile_path(path: str) -> tuple[Any, ...]:
    """Parse ``path`` (with or without ``{}`` around it) into steps; ValueError if unsupported."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    text = text.removeprefix("$")
    steps: list[Any] = []
    pos = 0
    while pos < len(text):
        if text[pos] == ".":
            if text.startswith(".*", pos):
                steps.append(_All())
                pos += 2
                continue
            name, pos = _read_field(text, pos + 1)
            if not name:
                raise ValueError(f"empty field name in {path!r}")
            steps.append(_Field(name))
        elif text[pos] == "[":
            step, pos = _read_bracket(text, pos)
            steps.append(step)
        else:
            raise ValueError(f"unexpected {text[pos]!r} in {path!r}")
    return tuple(steps)


def _apply(step: Any, node: Any) -> list[Any]:
    if isinstance(step, _Field):
        return [node[step.name]] if isinstance(node, dict) and step.name in node else []
    if isinstance(step, _Index):
        if isinstance(node, list) and -len(node) <= step.index < len(node):
            return [node[step.index]]
        return []
    if isinstance(step, _All):
        if isinstance(node, list):
            return list(node)
        return list(node.values()) if isinstance(node, dict) else []
    items = node if isinstance(node, list) else [node]
    return [item for item in items if _matches(step, item)]


def _matches(flt: _Filter, item: Any) -> bool:
    found = _run(flt.path, item)
    if flt.op == "exists":
        return bool(found)
    equal = bool(found) and found[0] == flt.value
    return equal if flt.op == "==" else not equal


def _run(steps: tuple[Any, ...], root: Any) -> list[Any]:
    nodes = [root]
    for step in steps:
        nodes = [out for node in nodes for out in _apply(step, node)]
    return nodes


def evaluate(path: str, obj: Any) -> list[Any]:
    """Every value ``path`` selects in ``obj``; ValueError if the path is unsupported."""
    return _run(compile_path(path), obj)


def cell_value(path: str, obj: Any) -> Any:
    """A printer column's cell: None when nothing matches, the values joined by "," when several do."""
    try:
        found = evaluate(path, obj)
    except ValueError:
        return None
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    return ",".join(v if isinstance(v, str) else msgspec.json.encode(v).decode() for v in found)
