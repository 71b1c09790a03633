"""Editing an object as YAML: what a manifest may be, and what an apply changed.

Rules the editor keeps, whoever calls it:

- a manifest is one YAML (or JSON) mapping of at most ``MAX_MANIFEST_BYTES``; YAML
  aliases are refused (they would expand without bound once re-encoded) and
  timestamps stay strings, as the apiserver reads them;
- the manifest must name the object of the URL: ``apiVersion`` is the URL's
  group/version, ``kind`` is present, ``metadata.name`` and ``metadata.namespace``
  match (a missing namespace is taken from the URL);
- fields the server owns (uid, resourceVersion, managedFields, ..., and ``status``)
  are dropped before the apply, so a copy of a live object can be applied as is.

Errors added here, under the tree in ``periscope_core.domain.errors``:

    InvalidRequest
    └── IdentityMismatch        E_IDENTITY_MISMATCH 400
    PeriscopeError
    ├── ManifestTooLarge        E_TOO_LARGE         413
    └── SecretKeyNotFound       E_NOT_FOUND         404
    Conflict
    └── ApplyConflict           E_CONFLICT          409  (+ ``conflicts``: field, manager, class)
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

import msgspec
import yaml

from periscope_core.domain.errors import Conflict, InvalidRequest, PeriscopeError, Status
from periscope_core.domain.managers import ManagerClass, OwnershipWarning, classify_manager
from periscope_core.domain.resources import GroupVersionResource

__all__ = [
    "MAX_MANIFEST_BYTES",
    "SERVER_FIELDS",
    "ApplyConflict",
    "ApplyResult",
    "Change",
    "FieldConflict",
    "IdentityMismatch",
    "ManifestTooLarge",
    "ObjectRef",
    "SecretKeyNotFound",
    "check_identity",
    "conflicts_of",
    "diff",
    "load_documents",
    "parse_manifest",
    "strip_server_fields",
]

MAX_MANIFEST_BYTES = 256 * 1024
SERVER_FIELDS = frozenset({
    "uid", "creationTimestamp", "generation", "resourceVersion", "managedFields", "deletionTimestamp",
    "deletionGracePeriodSeconds", "selfLink",
})  # fmt: skip


class IdentityMismatch(InvalidRequest):
    code = "E_IDENTITY_MISMATCH"


class ManifestTooLarge(PeriscopeError):
    code = "E_TOO_LARGE"
    http_status = 413

    def __init__(self) -> None:
        super().__init__(f"the manifest is larger than {MAX_MANIFEST_BYTES} bytes (256 KiB)")


class SecretKeyNotFound(PeriscopeError):
    code = "E_NOT_FOUND"
    http_status = 404

    def __init__(self, namespace: str, name: str, key: str) -> None:
        super().__init__(f"secret {namespace}/{name} has no key {key!r}")


class FieldConflict(msgspec.Struct, frozen=True, kw_only=True, rename={"manager_class": "class"}):
    """One field of an apply conflict: its path and the manager that owns it."""

    field: str
    manager: str
    manager_class: ManagerClass
    message: str


class ApplyConflict(Conflict):
    """An apply would change fields other managers own; ``conflicts`` lists them per field."""

    def __init__(self, status: Status) -> None:
        super().__init__(status)
        self.conflicts = conflicts_of(status)

    def body(self) -> dict[str, Any]:
        return {**super().body(), "conflicts": msgspec.to_builtins(self.conflicts)}


class ObjectRef(msgspec.Struct, frozen=True):
    """An object named by a URL; ``namespace`` is None for a cluster-scoped one."""

    gvr: GroupVersionResource
    name: str
    namespace: str | None = None

    @classmethod
    def of(cls, group: str, version: str, resource: str, name: str, namespace: str | None = None) -> ObjectRef:
        """``group`` as URLs spell it: ``core`` is the core (empty) group."""
        return cls(GroupVersionResource("" if group == "core" else group, version, resource), name, namespace)

    @property
    def is_secret(self) -> bool:
        return (self.gvr.group, self.gvr.resource) == ("", "secrets")


class Change(msgspec.Struct, frozen=True, omit_defaults=True):
    """One difference between two objects; ``before`` is absent for an add, ``after`` for a remove."""

    path: str
    op: Literal["add", "remove", "change"]
    before: Any = msgspec.UNSET
    after: Any = msgspec.UNSET


class ApplyResult(msgspec.Struct, frozen=True, rename="camel"):
    object: dict[str, Any]
    dry_run: bool
    diff: list[Change]
    warnings: list[OwnershipWarning] = []


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases and without implicit timestamps."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases (*name) are not accepted")
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_documents(text: str) -> list[Any]:
    """Every non-empty YAML document in ``text``, read as manifests are: no aliases, timestamps as strings.

    Raises yaml.YAMLError.
    """
    return [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]


def parse_manifest(body: bytes) -> dict[str, Any]:
    """The single mapping in ``body``; ManifestTooLarge or InvalidRequest otherwise."""
    if len(body) > MAX_MANIFEST_BYTES:
        raise ManifestTooLarge
    try:
        documents = load_documents(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidRequest("the manifest is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise InvalidRequest(f"the manifest is not valid YAML: {exc}") from None
    if len(documents) != 1:
        raise InvalidRequest(f"expected one YAML document, found {len(documents)}")
    document = documents[0]
    if not isinstance(document, dict):
        raise InvalidRequest("the manifest must be a mapping (an object)")
    return document


def check_identity(obj: dict[str, Any], ref: ObjectRef) -> dict[str, Any]:
    """``obj`` with its namespace filled in from the URL; IdentityMismatch unless it names ``ref``."""
    api_version = obj.get("apiVersion")
    if api_version != ref.gvr.api_version:
        raise IdentityMismatch(f"apiVersion {api_version!r} does not match the URL's {ref.gvr.api_version!r}")
    if not isinstance(obj.get("kind"), str) or not obj["kind"]:
        raise IdentityMismatch("kind is missing")
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise IdentityMismatch("metadata is missing")
    if meta.get("name") != ref.name:
        raise IdentityMismatch(f"metadata.name {meta.get('name')!r} does not match the URL's {ref.name!r}")
    namespace = meta.get("namespace")
    if ref.namespace is None:
        if namespace:
            raise IdentityMismatch(f"metadata.namespace {namespace!r} is set, but the URL names a cluster-scoped "
                                   "object")
        return obj
    if namespace in (None, ""):
        return {**obj, "metadata": {**meta, "namespace": ref.namespace}}
    if namespace != ref.namespace:
        raise IdentityMismatch(f"metadata.namespace {namespace!r} does not match the URL's {ref.namespace!r}")
    return obj


def strip_server_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy without ``status`` and the metadata the server owns."""
    out = {k: copy.deepcopy(v) for k, v in obj.items() if k != "status"}
    meta = out.get("metadata")
    if isinstance(meta, dict):
        out["metadata"] = {k: v for k, v in meta.items() if k not in SERVER_FIELDS}
    return out


# --- conflicts ---------------------------------------------------------------------

# 'conflict with "argocd-controller" using apps/v1', 'conflicts with "x" with subresource "scale":'
_CONFLICT_WITH = re.compile(r'conflicts? with ("(?:[^"\\]|\\.)*")')


def _manager_in(message: str) -> str:
    match = _CONFLICT_WITH.search(message)
    if match is None:
        return ""
    try:
        name = json.loads(match.group(1))
    except ValueError:
        return ""
    return name if isinstance(name, str) else ""


def conflicts_of(status: Status) -> list[FieldConflict]:
    """The per-field conflicts of an apply's 409, each with the manager named in its message."""
    causes = status.details.causes if status.details else []
    out: list[FieldConflict] = []
    for cause in causes:
        manager = _manager_in(cause.message)
        out.append(FieldConflict(
            field=cause.field, manager=manager, manager_class=classify_manager(manager) if manager else "unknown",
            message=cause.message,
        ))  # fmt: skip
    return out


# --- diff ----------------------------------------------------------------------------


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    """Items by their ``name`` when every item has a distinct one (containers, env, volumes)."""
    by_name: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or item["name"] in by_name:
            return None
        by_name[item["name"]] = item
    return by_name


def _walk(path: str, before: Any, after: Any, out: list[Change]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in [*before, *(k for k in after if k not in before)]:
            _step(f"{path}.{key}", key in before, before.get(key), key in after, after.get(key), out)
        return
    if isinstance(before, list) and isinstance(after, list) and before != after:
        old, new = _keyed(before), _keyed(after)
        if old is not None and new is not None:
            for name in [*old, *(n for n in new if n not in old)]:
                item = f"{path}[name={json.dumps(name, ensure_ascii=False)}]"
                _step(item, name in old, old.get(name), name in new, new.get(name), out)
            return
    if before != after:
        out.append(Change(path=path, op="change", before=before, after=after))


def _step(path: str, had: bool, before: Any, has: bool, after: Any, out: list[Change]) -> None:
    if had and has:
        _walk(path, before, after, out)
    elif has:
        out.append(Change(path=path, op="add", after=after))
    elif had:
        out.append(Change(path=path, op="remove", before=before))


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """What changed from ``before`` to ``after``, as apiserver-style paths.

    Maps are compared key by key; lists whose items all have distinct names are
    compared item by item (``[name="app"]``), other lists as a whole.
    """
    out: list[Change] = []
    _walk("", dict(before), dict(after), out)
    return out
