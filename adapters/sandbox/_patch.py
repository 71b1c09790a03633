"""The three PATCH bodies the apiserver accepts besides apply: merge, JSON and strategic.

Every function works on plain JSON values, copies its inputs before touching them and
returns a fresh document, so a failed patch leaves the stored object untouched and a
successful one never shares structure with the request body.

Status codes follow the apiserver: a body of the wrong shape is 400; a well-formed
patch that cannot be applied to this object (a failed ``test``, a missing path) is 422.
The strategic merge follows ``k8s.io/apimachinery/pkg/util/strategicpatch`` for the
directives kubectl sends; which lists merge, and by which key, comes from ``_merge_keys``.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Final

from ._merge_keys import is_set_list, list_merge_key

__all__ = ["PatchError", "json_equal", "json_merge_patch", "json_patch", "strategic_merge_patch"]


class PatchError(ValueError):
    """A patch that cannot be applied; ``status_code`` is 400 (malformed) or 422 (does not apply)."""

    def __init__(self, message: str, *, status_code: int = 422) -> None:
        super().__init__(message)
        self.status_code = status_code


def json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON sees it: 1 == 1.0, but true is not 1 and "1" is not 1."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(v, right[k]) for k, v in left.items())
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and left == right


# --- RFC 7386 -------------------------------------------------------------------------


def json_merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 merge patch (``application/merge-patch+json``)."""
    return _merge_into(copy.deepcopy(target), patch)


def _merge_into(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge_into(target.get(key), value)
    return target


# --- RFC 6902 -------------------------------------------------------------------------

# The document sits in a one-key box so that "" (the whole document) is a location
# like any other and can be replaced, tested or copied from.
_ROOT: Final = ""
_INDEX: Final = re.compile(r"0|[1-9][0-9]*")
_BAD_ESCAPE: Final = re.compile(r"~(?![01])")


def json_patch(target: Any, operations: list[dict[str, Any]]) -> Any:
    """Apply an RFC 6902 patch (``application/json-patch+json``): all operations or none."""
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise PatchError("a JSON patch must be an array of operation objects", status_code=400)
    box = {_ROOT: copy.deepcopy(target)}
    for operation in operations:
        _apply_operation(box, operation)
    return box[_ROOT]


def _apply_operation(box: dict[str, Any], operation: dict[str, Any]) -> None:
    kind = operation.get("op")
    path = _pointer(operation, "path")
    if kind == "add":
        _add(box, path, copy.deepcopy(_value(operation)))
    elif kind == "remove":
        _remove(box, path)
    elif kind == "replace":
        parent, key = _parent(box, path)
        _child(parent, key, path)
        _set(parent, key, copy.deepcopy(_value(operation)))
    elif kind == "move":
        source = _pointer(operation, "from")
        if path[: len(source)] == source and len(path) > len(source):
            raise PatchError(f"move operation does not apply: cannot move {_show(source)} into its own child")
        _add(box, path, _remove(box, source))
    elif kind == "copy":
        source = _pointer(operation, "from")
        _add(box, path, copy.deepcopy(_get(box, source)))
    elif kind == "test":
        if not json_equal(_get(box, path), _value(operation)):
            raise PatchError(f"testing value {_show(path)} failed: test failed")
    else:
        raise PatchError(f"Unexpected kind: {kind}")


def _pointer(operation: dict[str, Any], member: str) -> list[str]:
    text = operation.get(member)
    if not isinstance(text, str):
        raise PatchError(f"operation {operation.get('op')} is missing the {member!r} member")
    if text == "":
        return [_ROOT]
    if not text.startswith("/") or _BAD_ESCAPE.search(text):
        raise PatchError(f"invalid JSON pointer: {text!r}")
    return [_ROOT, *(token.replace("~1", "/").replace("~0", "~") for token in text[1:].split("/"))]


def _show(path: list[str]) -> str:
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in path[1:])


def _value(operation: dict[str, Any]) -> Any:
    if "value" not in operation:
        raise PatchError(f"operation {operation.get('op')} is missing the 'value' member")
    return operation["value"]


def _list_index(token: str, size: int, path: list[str]) -> int:
    if not _INDEX.fullmatch(token) or int(token) >= size:
        raise PatchError(f"doc is missing path: {_show(path)}")
    return int(token)


def _child(node: Any, token: str, path: list[str]) -> Any:
    if isinstance(node, dict) and token in node:
        return node[token]
    if isinstance(node, list):
        return node[_list_index(token, len(node), path)]
    raise PatchError(f"doc is missing path: {_show(path)}")


def _parent(box: dict[str, Any], path: list[str]) -> tuple[Any, str]:
    node: Any = box
    for token in path[:-1]:
        node = _child(node, token, path)
    return node, path[-1]


def _get(box: dict[str, Any], path: list[str]) -> Any:
    parent, key = _parent(box, path)
    return _child(parent, key, path)


def _set(parent: Any, key: str, value: Any) -> None:
    if isinstance(parent, list):
        parent[int(key)] = value
    else:
        parent[key] = value


def _add(box: dict[str, Any], path: list[str], value: Any) -> None:
    parent, key = _parent(box, path)
    if isinstance(parent, dict):
        parent[key] = value
    elif isinstance(parent, list):
        if key == "-":
            parent.append(value)
        elif _INDEX.fullmatch(key) and int(key) <= len(parent):
            parent.insert(int(key), value)
        else:
            raise PatchError(f"add operation does not apply: index out of range: {_show(path)}")
    else:
        raise PatchError(f"add operation does not apply: doc is missing path: {_show(path)}")


def _remove(box: dict[str, Any], path: list[str]) -> Any:
    if path == [_ROOT]:
        raise PatchError("remove operation does not apply: cannot remove the whole document")
    parent, key = _parent(box, path)
    value = _child(parent, key, path)
    if isinstance(parent, list):
        del parent[int(key)]
    else:
        del parent[key]
    return value


# --- strategic merge patch ----------------------------------------------------------

_DIRECTIVE: Final = "$patch"
_RETAIN_KEYS: Final = "$retainKeys"
_SET_ORDER: Final = "$setElementOrder/"
_DELETE_FROM: Final = "$deleteFromPrimitiveList/"


def strategic_merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Apply a strategic merge patch (``application/strategic-merge-patch+json``) to a built-in object."""
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object", status_code=400)
    merged: dict[str, Any] = _merge_map(copy.deepcopy(target), copy.deepcopy(patch), ())
    return merged


def _bad(message: str) -> PatchError:
    return PatchError(message, status_code=400)


def _is_directive(key: str) -> bool:
    return key in (_DIRECTIVE, _RETAIN_KEYS) or key.startswith((_SET_ORDER, _DELETE_FROM))


def _merge_map(original: dict[str, Any], patch: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """Merge ``patch`` into ``original`` (both private copies, mutated freely)."""
    if _DIRECTIVE in patch:
        directive = patch.pop(_DIRECTIVE)
        if directive == "replace":
            return _merge_map({}, patch, path)
        if directive == "delete":
            return {}
        raise _bad(f"unknown patch type: {directive} in map: {patch}")
    if _RETAIN_KEYS in patch:
        _retain_keys(original, patch)
    for key in [k for k in patch if k.startswith(_SET_ORDER)]:
        _merge_in_order(original, patch, key[len(_SET_ORDER) :], patch[key], path)
    for key in [k for k in patch if k.startswith(_DELETE_FROM)]:
        _delete_from_list(original, key[len(_DELETE_FROM) :], patch[key])
    for key, value in patch.items():
        if _is_directive(key):
            continue
        if value is None:
            original.pop(key, None)
        else:
            original[key] = _merge_value(original.get(key), value, (*path, key))
    return original


def _merge_value(original: Any, patch: Any, path: tuple[str, ...]) -> Any:
    if isinstance(patch, dict):
        return _merge_map(original if isinstance(original, dict) else {}, patch, path)
    if isinstance(patch, list):
        return _merge_list(original if isinstance(original, list) else [], patch, path)
    return patch


def _retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    keys = patch[_RETAIN_KEYS]
    if not isinstance(keys, list):
        raise _bad("invalid patch format of retainKeys")
    retained = {k for k in keys if isinstance(k, str)}
    for key, value in patch.items():
        if value is not None and not _is_directive(key) and key not in retained:
            raise PatchError("patch content doesn't match retainKeys list")
    for key in [k for k in original if k not in retained]:
        del original[key]


def _delete_from_list(original: dict[str, Any], field: str, values: Any) -> None:
    if not isinstance(values, list):
        raise _bad("invalid patch format of primitive list")
    current = original.get(field)
    if isinstance(current, list):
        original[field] = [v for v in current if not any(json_equal(v, gone) for gone in values)]


def _merge_in_order(
    original: dict[str, Any], patch: dict[str, Any], field: str, order: Any, path: tuple[str, ...]
) -> None:
    """Merge ``patch[field]`` into ``original[field]``, then sort as ``$setElementOrder/field`` says."""
    if not isinstance(order, list):
        raise _bad("invalid patch format of setElementOrder list")
    field_path = (*path, field)
    merge_key = list_merge_key(field_path)
    if merge_key is None and not is_set_list(field_path):
        return  # an atomic list has no order of its own to keep; the main pass replaces it
    current = original.get(field)
    current = current if isinstance(current, list) else []
    if field in patch:
        incoming = patch.pop(field)
        if incoming is None:
            original.pop(field, None)
            return
        merged = _merge_value(current, incoming, field_path)
    elif field in original:
        merged = current
    else:
        return
    if isinstance(merged, list):
        merged = _reorder(merged, order, current, merge_key[0] if merge_key else None)
    original[field] = merged


def _merge_list(original: list[Any], patch: list[Any], path: tuple[str, ...]) -> list[Any]:
    merge_key = list_merge_key(path)
    if merge_key is not None:
        return _merge_keyed(original, patch, path, merge_key[0])
    if is_set_list(path):
        merged: list[Any] = []
        for value in original + patch:
            if not any(json_equal(value, seen) for seen in merged):
                merged.append(value)
        return _reorder(merged, patch, original, None)
    return patch


def _merge_keyed(original: list[Any], patch: list[Any], path: tuple[str, ...], key: str) -> list[Any]:
    items: list[Any] = []
    replace = False
    for item in patch:
        directive = item.get(_DIRECTIVE) if isinstance(item, dict) else None
        if directive is None:
            items.append(item)
        elif directive == "delete":
            if key not in item:
                raise _bad(f"map: {item} does not contain declared merge key: {key}")
            original = [o for o in original if not _same_key(o, item, key)]
        elif directive == "replace":
            replace = True
        else:
            raise _bad(f"unknown patch type: {directive} in map: {item}")
    if replace:
        # The list is exactly the patch's other elements, in their order.
        original = [_merge_map({}, i, path) if isinstance(i, dict) else i for i in items]
        items = []
    merged = list(original)
    for item in items:
        if not isinstance(item, dict) or key not in item:
            raise _bad(f"map: {item} does not contain declared merge key: {key}")
        found = next((i for i, o in enumerate(merged) if _same_key(o, item, key)), None)
        if found is None:
            merged.append(_merge_map({}, item, path))
        else:
            merged[found] = _merge_map(merged[found], item, path)
    return _reorder(merged, items, original, key)


def _same_key(candidate: Any, item: dict[str, Any], key: str) -> bool:
    return isinstance(candidate, dict) and key in candidate and json_equal(candidate[key], item[key])


def _position(sequence: list[Any], item: Any, key: str | None) -> int:
    """Where ``item`` (matched on ``key``, or by value for scalars) sits in ``sequence``; -1 if absent."""
    for index, candidate in enumerate(sequence):
        if key is None:
            if json_equal(candidate, item):
                return index
        elif isinstance(item, dict) and key in item and _same_key(candidate, item, key):
            return index
    return -1


def _reorder(merged: list[Any], order: list[Any], server_order: list[Any], key: str | None) -> list[Any]:
    """Patch items in ``order``, interleaved with server-only items kept in their live order.

    This is strategicpatch's normalizeElementOrder plus mergeSortedSlice: the relative
    order within each group is guaranteed, and a server-only item goes in front of a
    patch item whenever the live list had it in front.
    """
    in_patch = sorted(
        (m for m in merged if _position(order, m, key) >= 0), key=lambda m: _position(order, m, key)
    )
    server_only = sorted(
        (m for m in merged if _position(order, m, key) < 0),
        key=lambda m: _position(server_order, m, key) % (len(server_order) + 1),
    )
    result: list[Any] = []
    left, right = 0, 0
    while left < len(server_only) or right < len(in_patch):
        if right == len(in_patch):
            take_left = True
        elif left == len(server_only):
            take_left = False
        else:
            live_left = _position(server_order, server_only[left], key)
            live_right = _position(server_order, in_patch[right], key)
            take_left = 0 <= live_left < live_right
        if take_left:
            result.append(server_only[left])
            left += 1
        else:
            result.append(in_patch[right])
            right += 1
    return result
