"""Server-side apply and ``metadata.managedFields``, after structured-merge-diff.

Rules (a simplified but faithful reading of sigs.k8s.io/structured-merge-diff and the
apiserver's field manager):

* A field set is a set of paths written as FieldsV1 keys: ``("f:spec", "f:replicas")``,
  ``(..., "f:containers", 'k:{"name":"nginx"}', "f:image")`` for an item of a keyed
  list (the item itself is a member too), ``(..., "f:finalizers", 'v:"x"')`` for a set
  item. Leaves are scalars, atomic lists and atomic maps; plain maps are not members.
* Apply: the manager's set becomes exactly the applied fields. The configuration is
  merged into the live object (keyed lists item by item, atomic values replaced); a
  field the manager applied last time and omits now is removed unless some manager
  still owns it. A field that changes value while another manager owns it is a
  conflict, unless ``force``, which takes it away from that manager.
* Update (create, update, patch): fields that were added or changed move to the
  writer's Update entry; fields that disappeared leave every set.
* Managers are identified by name, operation, subresource and, for updates only, the
  API version. Entries left with no fields are dropped.
* Never tracked: apiVersion, kind, and the metadata the server owns (name, namespace,
  uid, resourceVersion, generation, creationTimestamp, managedFields, ...). ``status``
  belongs to the status subresource and everything else to the main resource.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from typing import Any, Final, TypeAlias

import msgspec

from ._merge_keys import LIST_KEY_DEFAULTS, is_atomic_map, is_set_list, list_map_keys
from ._patch import json_equal

__all__ = [
    "ApplyConflict",
    "FieldConflict",
    "FieldPath",
    "conflict_status",
    "fields_of",
    "from_fields_v1",
    "record_update",
    "server_side_apply",
    "to_fields_v1",
]

FieldPath: TypeAlias = tuple[str, ...]

_SERVER_METADATA: Final = frozenset(
    {
        "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
        "deletionTimestamp", "deletionGracePeriodSeconds",
    }
)  # fmt: skip
_UNTRACKED_METADATA: Final = _SERVER_METADATA | {"name", "namespace", "clusterName"}
_BEFORE_FIRST_APPLY: Final = "before-first-apply"
# Marks a list item in a flattened object: the item exists, its value is its children.
_ITEM: Final = object()


class FieldConflict(msgspec.Struct, frozen=True):
    """One field another manager owns; ``message`` is the apiserver's cause message."""

    manager: str
    field: str
    message: str


class ApplyConflict(Exception):
    """Apply would change fields owned by other managers; the HTTP layer answers 409."""

    def __init__(self, conflicts: list[FieldConflict]) -> None:
        super().__init__(_conflict_message(conflicts))
        self.conflicts = conflicts


class _Manager(msgspec.Struct):
    manager: str
    operation: str
    api_version: str
    subresource: str
    time: str | None
    fields: set[FieldPath]

    def same_as(self, manager: str, operation: str, api_version: str, subresource: str) -> bool:
        # Appliers keep one entry across API versions; updaters get one per version.
        return (self.manager, self.operation, self.subresource) == (manager, operation, subresource) and (
            operation == "Apply" or self.api_version == api_version
        )

    def printed(self) -> str:
        text = json.dumps(self.manager)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        return text if self.operation == "Apply" else f"{text} using {self.api_version}"


# --- field sets -----------------------------------------------------------------------


def _element_json(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _list_elements(items: list[Any], schema_path: tuple[str, ...]) -> list[tuple[str, Any]] | None:
    """Name each item of an associative list (``k:``/``v:``), or None if the list is atomic here.

    Items missing a key field, or duplicated, make the list atomic rather than fail the write.
    """
    keys = list_map_keys(schema_path)
    elements: list[tuple[str, Any]] = []
    if keys is not None:
        for item in items:
            if not isinstance(item, dict):
                return None
            key = {k: item.get(k, LIST_KEY_DEFAULTS.get(k)) for k in keys}
            if any(v is None for v in key.values()):
                return None
            elements.append(("k:" + _element_json(key), item))
    elif is_set_list(schema_path) and not any(isinstance(v, dict | list) for v in items):
        elements = [("v:" + _element_json(v), v) for v in items]
    else:
        return None
    return elements if len({name for name, _ in elements}) == len(elements) else None


def _flatten(node: Any, schema_path: tuple[str, ...], prefix: FieldPath, out: dict[FieldPath, Any]) -> None:
    if isinstance(node, dict) and not is_atomic_map(schema_path):
        for key, value in node.items():
            if value is not None:
                _flatten(value, (*schema_path, key), (*prefix, "f:" + key), out)
        return
    elements = _list_elements(node, schema_path) if isinstance(node, list) else None
    if elements is None:
        out[prefix] = node
        return
    for name, item in elements:
        out[(*prefix, name)] = _ITEM
        if isinstance(item, dict):
            _flatten(item, schema_path, (*prefix, name), out)


def _tracked(obj: dict[str, Any]) -> dict[FieldPath, Any]:
    """Every tracked field path of ``obj`` with its value (``_ITEM`` for list items)."""
    out: dict[FieldPath, Any] = {}
    for key, value in obj.items():
        if key in ("apiVersion", "kind") or value is None:
            continue
        if key == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in _UNTRACKED_METADATA}
        _flatten(value, (key,), ("f:" + key,), out)
    return out


def _scoped(flat: dict[FieldPath, Any], subresource: str) -> dict[FieldPath, Any]:
    on_status = subresource == "status"
    return {path: value for path, value in flat.items() if (path[0] == "f:status") == on_status}


def _changed(before: dict[FieldPath, Any], after: dict[FieldPath, Any]) -> set[FieldPath]:
    """Paths added, or leaves whose value differs (an existing item is not itself changed)."""
    return {
        path
        for path, value in after.items()
        if path not in before or (value is not _ITEM and not json_equal(before[path], value))
    }


def fields_of(obj: dict[str, Any]) -> set[FieldPath]:
    """The field set of ``obj``: what a manager applying it would own."""
    return set(_tracked(obj))


_ELEMENT_RANK: Final = {"f": 0, "k": 1, "v": 2, "i": 3}


def _element_order(element: str) -> tuple[int, str]:
    return _ELEMENT_RANK.get(element[0], 4), element


def to_fields_v1(fields: Iterable[FieldPath]) -> dict[str, Any]:
    """Encode a field set as FieldsV1 (``{"f:spec": {"f:replicas": {}}}``)."""
    tree: dict[str, Any] = {}
    for path in fields:
        node = tree
        for element in path:
            node = node.setdefault(element, {})
        node["."] = {}
    return _emit(tree)


def _emit(node: dict[str, Any]) -> dict[str, Any]:
    children = sorted((k for k in node if k != "."), key=_element_order)
    out: dict[str, Any] = {".": {}} if "." in node and children else {}
    out.update((k, _emit(node[k])) for k in children)
    return out


def from_fields_v1(fields_v1: dict[str, Any]) -> set[FieldPath]:
    """Decode FieldsV1; raise ValueError if it is not valid FieldsV1."""
    out: set[FieldPath] = set()
    pending: list[tuple[FieldPath, Any]] = [((), fields_v1)]
    while pending:
        prefix, node = pending.pop()
        if not isinstance(node, dict):
            raise ValueError(f"FieldsV1 node at {prefix} is not an object")
        if prefix and (not node or "." in node):
            out.add(prefix)
        for element, child in node.items():
            if element == ".":
                continue
            if element[:2] not in ("f:", "k:", "v:", "i:"):
                raise ValueError(f"invalid FieldsV1 path element {element!r}")
            if element[0] in "kv":
                json.loads(element[2:])  # a malformed key raises ValueError here
            pending.append(((*prefix, element), child))
    return out


def _display(path: FieldPath) -> str:
    """The apiserver's spelling of a path: ``.spec.template.spec.containers[name="nginx"].image``."""
    parts: list[str] = []
    for element in path:
        kind, text = element[0], element[2:]
        if kind == "f":
            parts.append("." + text)
        elif kind == "k":
            key = json.loads(text)
            parts.append("[" + ",".join(f"{k}={_go_value(v)}" for k, v in key.items()) + "]")
        elif kind == "v":
            parts.append(f"[={_go_value(json.loads(text))}]")
        else:
            parts.append(f"[{text}]")
    return "".join(parts)


def _go_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _path_order(path: FieldPath) -> tuple[tuple[int, int, str], ...]:
    # Structured-merge-diff lists a level's own members before descending into children.
    last = len(path) - 1
    return tuple((0 if i == last else 1, *_element_order(e)) for i, e in enumerate(path))


# --- managedFields entries ----------------------------------------------------------


def _decode(entries: Any) -> list[_Manager] | None:
    """The managers in a managedFields list; None if absent or undecodable."""
    if not isinstance(entries, list) or not entries:
        return None
    managers: list[_Manager] = []
    try:
        for entry in entries:
            if not isinstance(entry, dict):
                return None
            managers.append(
                _Manager(
                    manager=str(entry.get("manager", "")),
                    operation=str(entry.get("operation", "")),
                    api_version=str(entry.get("apiVersion", "")),
                    subresource=str(entry.get("subresource", "")),
                    time=entry.get("time"),
                    fields=from_fields_v1(entry.get("fieldsV1") or {}),
                )
            )
    except ValueError:
        return None
    return managers


def _encode(managers: list[_Manager]) -> list[dict[str, Any]]:
    kept = [m for m in managers if m.fields]
    kept.sort(key=lambda m: (m.operation, m.time or "", m.manager, m.api_version, m.subresource))
    entries: list[dict[str, Any]] = []
    for m in kept:
        entry: dict[str, Any] = {"manager": m.manager, "operation": m.operation, "apiVersion": m.api_version}
        if m.time:
            entry["time"] = m.time
        entry["fieldsType"] = "FieldsV1"
        entry["fieldsV1"] = to_fields_v1(m.fields)
        if m.subresource:
            entry["subresource"] = m.subresource
        entries.append(entry)
    return entries


def _entry(
    managers: list[_Manager], manager: str, operation: str, api_version: str, subresource: str
) -> _Manager:
    for m in managers:
        if m.same_as(manager, operation, api_version, subresource):
            return m
    created = _Manager(manager, operation, api_version, subresource, None, set())
    managers.append(created)
    return created


def _with_managers(obj: dict[str, Any], managers: list[_Manager]) -> dict[str, Any]:
    metadata = obj.setdefault("metadata", {})
    metadata["managedFields"] = _encode(managers)
    if not metadata["managedFields"]:
        del metadata["managedFields"]
    return obj


# --- update ---------------------------------------------------------------------------


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    manager: str,
    operation: str = "Update",
    now: str,
    api_version: str,
    subresource: str = "",
) -> dict[str, Any]:
    """Return ``new`` with managedFields after a create, update or patch by ``manager``.

    Managed fields sent in ``new`` are honoured, as the apiserver lets clients rewrite
    them; otherwise the old object's are carried over. ``subresource`` is "status" or
    "scale" for writes through those endpoints.
    """
    result = copy.deepcopy(new)
    managers = None if subresource else _decode(new.get("metadata", {}).get("managedFields"))
    if managers is None:
        managers = (_decode(old.get("metadata", {}).get("managedFields")) if old else None) or []
    before = _scoped(_tracked(old or {}), subresource)
    after = _scoped(_tracked(new), subresource)
    changed = _changed(before, after)
    gone = changed | (before.keys() - after.keys())
    for m in managers:
        m.fields -= gone
    if changed:
        writer = _entry(managers, manager, operation, api_version, subresource)
        writer.fields |= changed
        writer.time = now
    return _with_managers(result, managers)


# --- apply ----------------------------------------------------------------------------


def _merge(live: Any, applied: Any, schema_path: tuple[str, ...]) -> Any:
    """Merge an apply configuration into the live value (structured-merge-diff's Merge)."""
    if isinstance(applied, dict) and not is_atomic_map(schema_path):
        merged = dict(live) if isinstance(live, dict) else {}
        for key, value in applied.items():
            if value is not None:
                merged[key] = _merge(merged.get(key), value, (*schema_path, key))
        return merged
    if isinstance(applied, list):
        theirs = _list_elements(applied, schema_path)
        ours = _list_elements(live if isinstance(live, list) else [], schema_path)
        if theirs is not None and ours is not None:
            pairs = _pair(ours, theirs)
            return [old if new is None else _merge(old, new, schema_path) for old, new in pairs]
    return applied


def _pair(live: list[tuple[str, Any]], applied: list[tuple[str, Any]]) -> list[tuple[Any, Any]]:
    """Line up live and applied items as structured-merge-diff orders a merged list.

    Applied items keep their order; live-only items stay where they were relative to
    the items around them. Each pair is (live item or None, applied item or None).
    """
    live_items, applied_items = dict(live), dict(applied)
    shared = [name for name, _ in applied if name in live_items]
    next_shared = shared.pop(0) if shared else None
    done: set[str] = set()
    pairs: list[tuple[Any, Any]] = []
    left = right = 0
    while left < len(live) or right < len(applied):
        if left < len(live) and right < len(applied):
            name = live[left][0]
            if name == applied[right][0]:
                done.add(name)
                pairs.append((live_items[name], applied_items[name]))
                left, right = left + 1, right + 1
                next_shared = shared.pop(0) if shared else None
                continue
            if name in applied_items and next_shared is not None and next_shared != name:
                left += 1
                continue
        if left < len(live):
            name = live[left][0]
            if name not in applied_items:
                pairs.append((live_items[name], None))
                left += 1
                continue
            if name in done:
                left += 1
                continue
        name = applied[right][0]
        done.add(name)
        pairs.append((live_items.get(name), applied_items[name]))
        right += 1
        if next_shared == name:
            next_shared = shared.pop(0) if shared else None
    return pairs


def _locate(container: Any, element: str) -> tuple[Any, Any]:
    """(key in container, child) for one path element, or (None, None) if absent."""
    kind, text = element[0], element[2:]
    if kind == "f":
        return (text, container[text]) if isinstance(container, dict) and text in container else (None, None)
    if kind not in "kv" or not isinstance(container, list):
        return None, None
    wanted = json.loads(text)
    for index, item in enumerate(container):
        if kind == "v":
            found = json_equal(item, wanted)
        else:
            found = isinstance(item, dict) and all(
                json_equal(item.get(k, LIST_KEY_DEFAULTS.get(k)), v) for k, v in wanted.items()
            )
        if found:
            return index, item
    return None, None


def _remove(obj: dict[str, Any], path: FieldPath) -> None:
    """Delete the value at ``path``, then any maps the deletion left empty below the top level."""
    chain: list[Any] = [obj]
    for element in path[:-1]:
        chain.append(_locate(chain[-1], element)[1])
        if chain[-1] is None:
            return
    key, _ = _locate(chain[-1], path[-1])
    if key is None:
        return
    del chain[-1][key]
    for depth in range(len(chain) - 1, 1, -1):
        if chain[depth] or not isinstance(chain[depth], dict) or path[depth - 1][0] != "f":
            break
        del chain[depth - 1][path[depth - 1][2:]]


def _managers_before_apply(live: dict[str, Any] | None, *, now: str, api_version: str) -> list[_Manager]:
    if live is None:
        return []
    managers = _decode(live.get("metadata", {}).get("managedFields"))
    if managers is not None:
        return managers
    # An object nobody has managed yet: its current fields go to a placeholder
    # updater, so the first applier can prune only what it applied itself.
    fields = set(_scoped(_tracked(live), ""))
    return [_Manager(_BEFORE_FIRST_APPLY, "Update", api_version, "", now, fields)] if fields else []


def _content(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in obj.get("metadata", {}).items() if k != "managedFields"}
    return {**obj, "metadata": metadata}


def server_side_apply(
    live: dict[str, Any] | None,
    applied: dict[str, Any],
    *,
    manager: str,
    force: bool,
    now: str,
    api_version: str,
) -> dict[str, Any]:
    """Apply ``applied`` for ``manager`` to ``live`` (None to create); raise ApplyConflict.

    The caller checks preconditions (resourceVersion, uid) and fills in server-owned
    metadata on create; ``status`` and server-owned metadata in ``applied`` are ignored.
    """
    config = {k: copy.deepcopy(v) for k, v in applied.items() if k != "status"}
    if isinstance(config.get("metadata"), dict):
        config["metadata"] = {k: v for k, v in config["metadata"].items() if k not in _SERVER_METADATA}
    base = copy.deepcopy(live) if live is not None else {}
    managers = _managers_before_apply(live, now=now, api_version=api_version)
    applier = _entry(managers, manager, "Apply", api_version, "")
    previous, applier.fields = applier.fields, set(_scoped(_tracked(config), ""))
    merged: dict[str, Any] = _merge(base, config, ())

    owned = set().union(*(m.fields for m in managers))
    ancestors = {path[:i] for path in owned for i in range(1, len(path))}
    for path in sorted(previous - owned - ancestors, key=len):
        _remove(merged, path)

    # ``merged`` shares untouched branches with ``base``, so compare against ``live``.
    original = live if live is not None else {}
    before, after = _scoped(_tracked(original), ""), _scoped(_tracked(merged), "")
    changed = _changed(before, after)
    conflicts = [
        FieldConflict(m.manager, _display(path), f"conflict with {m.printed()}")
        for m in managers
        if m is not applier
        for path in sorted(m.fields & changed, key=_path_order)
    ]
    if conflicts and not force:
        raise ApplyConflict(sorted(conflicts, key=lambda c: (c.manager, c.message)))
    gone = changed | (before.keys() - after.keys())
    for m in managers:
        if m is not applier:
            m.fields -= gone
    applier.api_version = api_version
    if applier.time is None or not json_equal(_content(original), _content(merged)):
        applier.time = now
    return _with_managers(merged, managers)


def _conflict_message(conflicts: Sequence[FieldConflict]) -> str:
    if len(conflicts) == 1:
        return f"Apply failed with 1 conflict: {conflicts[0].message}: {conflicts[0].field}"
    groups: dict[str, list[str]] = {}
    for conflict in conflicts:
        groups.setdefault(conflict.message, []).append(conflict.field)
    lines: list[str] = []
    for message in sorted(groups):
        lines.append(message.replace("conflict with", "conflicts with", 1) + ":")
        lines.extend(f"- {field}" for field in groups[message])
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


def conflict_status(conflicts: Sequence[FieldConflict]) -> dict[str, Any]:
    """The 409 Status the apiserver answers an apply conflict with (details carry only causes)."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": _conflict_message(conflicts),
        "reason": "Conflict",
        "details": {
            "causes": [
                {"reason": "FieldManagerConflict", "message": c.message, "field": c.field} for c in conflicts
            ]
        },
        "code": 409,
    }
