"""What changed between two revisions of a Helm release, object by object.

Objects are matched by kind, namespace and name (as installed: see ``resource_of``), so
an object that moved to another apiVersion is one modified object, not a removal and an
addition. Fields of a modified object are compared with the editor's ``diff``: maps key by
key, lists of named items item by item (``[name="controller"]``), other lists whole.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from periscope_core.domain.editing import Change, diff
from periscope_core.domain.helm_release import ReleaseResource, resource_of

__all__ = ["ObjectChange", "diff_manifests"]

_Key = tuple[str, str, str]
"""kind, namespace, name"""


class ObjectChange(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    change: Literal["added", "removed", "modified"]
    api_version: str
    kind: str
    name: str
    namespace: str = ""
    fields: list[Change] = []
    """The changed fields of a modified object; empty for an added or removed one."""


def _keyed(objects: list[dict[str, Any]], namespace: str) -> dict[_Key, tuple[ReleaseResource, dict[str, Any]]]:
    keyed: dict[_Key, tuple[ReleaseResource, dict[str, Any]]] = {}
    for obj in objects:
        ref = resource_of(obj, namespace)
        keyed[(ref.kind, ref.namespace, ref.name)] = (ref, obj)
    return keyed


def _change(change: Literal["added", "removed", "modified"], ref: ReleaseResource,
            fields: list[Change] | None = None) -> ObjectChange:
    return ObjectChange(change=change, api_version=ref.api_version, kind=ref.kind, name=ref.name,
                        namespace=ref.namespace, fields=fields or [])  # fmt: skip


def diff_manifests(before: list[dict[str, Any]], after: list[dict[str, Any]], namespace: str) -> list[ObjectChange]:
    """The added, modified and removed objects from ``before`` to ``after``; unchanged ones are left out.

    Added and modified objects come in ``after``'s order, then the removed ones in ``before``'s.
    """
    old, new = _keyed(before, namespace), _keyed(after, namespace)
    out: list[ObjectChange] = []
    for key, (ref, obj) in new.items():
        if key not in old:
            out.append(_change("added", ref))
        elif fields := diff(old[key][1], obj):
            out.append(_change("modified", ref, fields))
    out.extend(_change("removed", ref) for key, (ref, _) in old.items() if key not in new)
    return out
