"""The sandbox cluster's API surface: which resource types exist, in which group-versions.

A `Catalog` starts from the built-in kinds (``builtin_resources.yaml`` beside this module)
and grows or shrinks as CustomResourceDefinitions are registered and removed. Everything
here is pure: discovery, OpenAPI and table printing read a catalog, none of them mutate it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib.resources
import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import msgspec
import yaml

__all__ = [
    "CRD_VERBS",
    "Catalog",
    "ResourceType",
    "Subresource",
    "is_builtin",
    "sort_versions",
    "subresource",
]

# The order apiextensions-apiserver reports for every custom resource.
CRD_VERBS = ("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch")

_GET_PATCH_UPDATE = ("get", "patch", "update")


class ResourceType(msgspec.Struct, frozen=True):
    """One resource of one group-version, as discovery describes it."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    verbs: tuple[str, ...]
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    printer_columns: tuple[dict[str, Any], ...] = ()

    @property
    def group_version(self) -> str:
        """``v1`` for the core group, ``apps/v1`` otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        """The ``apiVersion`` objects of this type carry (same as the group-version)."""
        return self.group_version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


class Subresource(msgspec.Struct, frozen=True):
    """A subresource such as ``pods/log``: the kind it takes or returns, and its verbs."""

    name: str
    group: str
    version: str
    kind: str
    verbs: tuple[str, ...]


def subresource(rt: ResourceType, name: str) -> Subresource:
    """Describe subresource `name` of `rt` the way kube-apiserver's discovery does.

    Raises ValueError for a subresource the sandbox does not know.
    """
    same = (rt.group, rt.version)
    match name:
        case "status" | "ephemeralcontainers":
            return Subresource(name, *same, rt.kind, _GET_PATCH_UPDATE)
        case "scale":
            return Subresource(name, "autoscaling", "v1", "Scale", _GET_PATCH_UPDATE)
        case "log":
            return Subresource(name, *same, rt.kind, ("get",))
        case "exec" | "attach" | "portforward":
            kind = {"exec": "PodExecOptions", "attach": "PodAttachOptions"}.get(name, "PodPortForwardOptions")
            return Subresource(name, *same, kind, ("create", "get"))
        case "proxy":
            verbs = ("create", "delete", "get", "patch", "update")
            return Subresource(name, *same, f"{rt.kind}ProxyOptions", verbs)
        case "binding":
            return Subresource(name, *same, "Binding", ("create",))
        case "eviction":
            return Subresource(name, "policy", "v1", "Eviction", ("create",))
        case "token":
            return Subresource(name, "authentication.k8s.io", "v1", "TokenRequest", ("create",))
        case "finalize":
            return Subresource(name, *same, rt.kind, ("update",))
    raise ValueError(f"unknown subresource {rt.plural}/{name}")


_KUBE_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def _version_priority(version: str) -> tuple[int, int, int, str]:
    match = _KUBE_VERSION.match(version)
    if match is None:
        # Versions that do not look like Kubernetes versions sort last, alphabetically.
        return (1, 0, 0, version)
    major, stage, minor = match.groups()
    stage_rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (0, stage_rank * 10**6 - int(major), -int(minor or 0), "")


def sort_versions(versions: Iterable[str]) -> list[str]:
    """Kubernetes version priority: v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > others (by name)."""
    return sorted(set(versions), key=_version_priority)


class _Entry(msgspec.Struct, frozen=True):
    kind: str
    plural: str
    scope: Literal["Namespaced", "Cluster"]
    verbs: str = "standard"
    short: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    sub: tuple[str, ...] = ()


class _Group(msgspec.Struct, frozen=True):
    group: str
    version: str
    resources: tuple[_Entry, ...]


class _BuiltinFile(msgspec.Struct, frozen=True):
    verb_sets: dict[str, tuple[str, ...]]
    groups: tuple[_Group, ...]


@functools.cache
def _builtin_types() -> tuple[ResourceType, ...]:
    text = importlib.resources.files(__package__).joinpath("builtin_resources.yaml").read_text("utf-8")
    data = msgspec.convert(yaml.safe_load(text), _BuiltinFile)
    return tuple(
        ResourceType(
            group=g.group,
            version=g.version,
            kind=e.kind,
            plural=e.plural,
            singular=e.kind.lower(),
            namespaced=e.scope == "Namespaced",
            verbs=data.verb_sets[e.verbs],
            short_names=e.short,
            categories=e.categories,
            subresources=e.sub,
        )
        for g in data.groups
        for e in g.resources
    )


def is_builtin(rt: ResourceType) -> bool:
    """True when `rt` is one of the kinds kube-apiserver itself serves (not a custom resource)."""
    return (rt.group, rt.kind) in _builtin_group_kinds()


@functools.cache
def _builtin_group_kinds() -> frozenset[tuple[str, str]]:
    return frozenset((rt.group, rt.kind) for rt in _builtin_types())


class _Crd(msgspec.Struct, frozen=True):
    """What a registered CustomResourceDefinition contributed, to undo or describe it."""

    group: str
    types: tuple[ResourceType, ...]
    schemas: dict[str, dict[str, Any]]  # served version -> openAPIV3Schema


def _crd_types(crd: dict[str, Any]) -> _Crd:
    try:
        return _parse_crd(crd)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a valid CustomResourceDefinition: {exc!r}") from exc


def _parse_crd(crd: dict[str, Any]) -> _Crd:
    spec = crd["spec"]
    names = spec["names"]
    group, kind, plural = spec["group"], names["kind"], names["plural"]
    types, schemas = [], {}
    for v in spec["versions"]:
        if not v.get("served", False):
            continue
        subresources = v.get("subresources") or {}
        types.append(
            ResourceType(
                group=group,
                version=v["name"],
                kind=kind,
                plural=plural,
                singular=names.get("singular") or kind.lower(),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                verbs=CRD_VERBS,
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=tuple(s for s in ("scale", "status") if s in subresources),
                printer_columns=tuple(copy.deepcopy(v.get("additionalPrinterColumns") or ())),
            )
        )
        schema = (v.get("schema") or {}).get("openAPIV3Schema")
        if schema is not None:
            schemas[v["name"]] = copy.deepcopy(schema)
    return _Crd(group=group, types=tuple(types), schemas=schemas)


class Catalog:
    """The resource types one sandbox cluster serves; mutable only through add_crd/remove_crd."""

    def __init__(self, types: Iterable[ResourceType] = ()) -> None:
        self._builtin_groups: list[str] = []
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self._crds: dict[str, _Crd] = {}
        self._fingerprint: str | None = None
        for rt in types:
            if rt.group not in self._builtin_groups:
                self._builtin_groups.append(rt.group)
            self._types[(rt.group, rt.version, rt.plural)] = rt

    @classmethod
    def builtin(cls) -> Catalog:
        """A fresh catalog with every built-in kind and no custom resources."""
        return cls(_builtin_types())

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(self._types.values())

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def by_kind(self, group: str, version: str, kind: str) -> ResourceType | None:
        return next((rt for rt in self if (rt.group, rt.version, rt.kind) == (group, version, kind)), None)

    def resources(self, group: str, version: str) -> list[ResourceType]:
        """The types of one group-version, sorted by plural name as discovery lists them."""
        found = (rt for rt in self if (rt.group, rt.version) == (group, version))
        return sorted(found, key=lambda r: r.plural)

    def group_versions(self) -> list[tuple[str, list[str]]]:
        """Every served group with its versions, preferred version first.

        Built-in groups come first in their discovery order (the core group "" leads), then
        custom resource groups alphabetically, as kube-apiserver orders them.
        """
        versions: dict[str, list[str]] = {}
        for rt in self:
            versions.setdefault(rt.group, []).append(rt.version)
        custom = sorted(g for g in versions if g not in self._builtin_groups)
        ordered = [g for g in self._builtin_groups if g in versions] + custom
        return [(g, sort_versions(versions[g])) for g in ordered]

    def add_crd(self, crd: dict[str, Any]) -> list[ResourceType]:
        """Register (or re-register) a CustomResourceDefinition; one type per served version.

        Raises ValueError when `crd` lacks the fields every CustomResourceDefinition has.
        """
        entry = _crd_types(crd)
        self.remove_crd(crd)
        self._crds[_crd_name(crd)] = entry
        for rt in entry.types:
            self._types[(rt.group, rt.version, rt.plural)] = rt
        self._fingerprint = None
        return list(entry.types)

    def remove_crd(self, crd: dict[str, Any]) -> None:
        """Forget what `crd` registered; a CRD never registered is ignored."""
        entry = self._crds.pop(_crd_name(crd), None)
        if entry is None:
            return
        for rt in entry.types:
            self._types.pop((rt.group, rt.version, rt.plural), None)
        self._fingerprint = None

    def crd_schema(self, group: str, version: str, kind: str) -> dict[str, Any] | None:
        """The openAPIV3Schema of a registered custom resource version (shared: do not mutate)."""
        for entry in self._crds.values():
            if entry.group == group and any(rt.kind == kind for rt in entry.types):
                return entry.schemas.get(version)
        return None

    @property
    def fingerprint(self) -> str:
        """A digest of everything the catalog serves; equal catalogs have equal fingerprints."""
        if self._fingerprint is None:
            state = [list(self), sorted((name, e.schemas) for name, e in self._crds.items())]
            self._fingerprint = hashlib.sha256(msgspec.json.encode(state, order="sorted")).hexdigest()
        return self._fingerprint


def _crd_name(crd: dict[str, Any]) -> str:
    """``<plural>.<group>``: the name kube-apiserver requires a CRD to have."""
    name = (crd.get("metadata") or {}).get("name")
    if name:
        return str(name)
    spec = crd.get("spec") or {}
    return f"{(spec.get('names') or {}).get('plural', '')}.{spec.get('group', '')}"
