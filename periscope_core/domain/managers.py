"""Field managers: who owns which fields of an object, and what that means for an edit.

``metadata.managedFields`` names, per manager, the fields it set (FieldsV1). The
paths are spelled as the apiserver spells them in apply conflicts
(``.spec.template.spec.containers[name="app"].image``), so a conflict cause, an
ownership glyph and a diff line can be matched by plain string comparison.

Managers are sorted into classes by name; the first matching rule wins:

    periscope   periscope, periscope-*           this console
    gitops      argocd*, flux*, kustomize-controller, helm-controller, fleet-agent, ...
    helm        helm, Helm                       the Helm CLI (client-side)
    human       kubectl*, k9s, lens, headlamp, ...
    controller  kube-controller-manager, *-controller, *-operator, karpenter, ...
    unknown     anything else
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

import msgspec

__all__ = [
    "ManagedFields",
    "ManagerClass",
    "OwnershipWarning",
    "classify_manager",
    "covers",
    "managed_fields",
    "ownership_warnings",
    "paths_of",
]

ManagerClass = Literal["periscope", "gitops", "helm", "human", "controller", "unknown"]

_PREFIX, _EXACT, _SUFFIX = "prefix", "exact", "suffix"
# (class, how, pattern), matched case-insensitively in this order: helm-controller is
# Flux before it is a controller, and "helm" alone is the Helm CLI.
_RULES: tuple[tuple[ManagerClass, str, str], ...] = (
    ("periscope", _EXACT, "periscope"),
    ("periscope", _PREFIX, "periscope-"),
    ("gitops", _PREFIX, "argocd"),
    ("gitops", _PREFIX, "argo-cd"),
    ("gitops", _PREFIX, "flux"),
    ("gitops", _EXACT, "kustomize-controller"),
    ("gitops", _EXACT, "helm-controller"),
    ("gitops", _EXACT, "source-controller"),
    ("gitops", _EXACT, "fleet-agent"),
    ("gitops", _PREFIX, "config-sync"),
    ("gitops", _EXACT, "kapp"),
    ("helm", _EXACT, "helm"),
    ("human", _EXACT, "kubectl"),
    ("human", _PREFIX, "kubectl-"),
    ("human", _EXACT, "k9s"),
    ("human", _PREFIX, "lens"),
    ("human", _EXACT, "openlens"),
    ("human", _EXACT, "headlamp"),
    ("human", _EXACT, "kubernetes-dashboard"),
    ("controller", _PREFIX, "kube-"),
    ("controller", _EXACT, "kubelet"),
    ("controller", _PREFIX, "karpenter"),
    ("controller", _EXACT, "cluster-autoscaler"),
    ("controller", _PREFIX, "cert-manager"),
    ("controller", _PREFIX, "keda"),
    ("controller", _PREFIX, "vpa-"),
    ("controller", _SUFFIX, "-controller"),
    ("controller", _SUFFIX, "-controller-manager"),
    ("controller", _SUFFIX, "-operator"),
)

_REVERTS: dict[ManagerClass, str] = {
    "gitops": "it will revert the change on its next sync; change the source in Git instead",
    "helm": "the next helm upgrade will revert the change; change the release's values instead",
}


def classify_manager(name: str) -> ManagerClass:
    """The class of a field manager, from its name alone."""
    lowered = name.lower()
    for cls, how, pattern in _RULES:
        if (
            (how == _EXACT and lowered == pattern)
            or (how == _PREFIX and lowered.startswith(pattern))
            or (how == _SUFFIX and lowered.endswith(pattern))
        ):
            return cls
    return "unknown"


def _element(element: str) -> str | None:
    """One FieldsV1 path element in the apiserver's display spelling; None if malformed."""
    kind, text = element[:2], element[2:]
    try:
        if kind == "f:":
            return "." + text
        if kind == "k:":
            key = json.loads(text)
            if not isinstance(key, dict):
                return None
            return "[" + ",".join(f"{k}={_value(v)}" for k, v in key.items()) + "]"
        if kind == "v:":
            return f"[={_value(json.loads(text))}]"
        if kind == "i:" and text.isdigit():
            return f"[{text}]"
    except ValueError:
        return None
    return None


def _value(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def paths_of(fields_v1: Mapping[str, Any]) -> list[str]:
    """Every field a FieldsV1 set owns, in document order.

    A node is owned when it is a leaf (``{}``) or marks itself with ``"."`` (a list
    item or map that is owned as a whole besides its children). Malformed elements
    are skipped: this feeds a display, never a write.
    """
    out: list[str] = []

    def walk(prefix: str, node: Mapping[str, Any]) -> None:
        if prefix and (not node or "." in node):
            out.append(prefix)
        for element, child in node.items():
            if element == "." or not isinstance(child, Mapping):
                continue
            shown = _element(element)
            if shown is not None:
                walk(prefix + shown, child)

    walk("", fields_v1)
    return out


class ManagedFields(msgspec.Struct, frozen=True, kw_only=True, rename={"manager_class": "class"}):
    """One managedFields entry, classified, with the fields it owns as display paths."""

    manager: str
    operation: str = ""
    api_version: str = msgspec.field(default="", name="apiVersion")
    time: str = ""
    subresource: str = ""
    manager_class: ManagerClass
    fields: list[str] = []


def managed_fields(obj: Mapping[str, Any]) -> list[ManagedFields]:
    """The object's managedFields entries, in the order the apiserver keeps them."""
    entries = (obj.get("metadata") or {}).get("managedFields") or []
    out: list[ManagedFields] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        name = str(entry.get("manager") or "")
        fields = entry.get("fieldsV1")
        out.append(ManagedFields(
            manager=name,
            operation=str(entry.get("operation") or ""),
            api_version=str(entry.get("apiVersion") or ""),
            time=str(entry.get("time") or ""),
            subresource=str(entry.get("subresource") or ""),
            manager_class=classify_manager(name),
            fields=paths_of(fields) if isinstance(fields, Mapping) else [],
        ))  # fmt: skip
    return out


def covers(owned: str, changed: str) -> bool:
    """Whether owning ``owned`` means owning part of a change at ``changed`` (either contains the other)."""
    short, long = sorted((owned, changed), key=len)
    return long == short or (long.startswith(short) and long[len(short)] in ".[")


class OwnershipWarning(msgspec.Struct, frozen=True, kw_only=True, rename={"manager_class": "class"}):
    """A change touches fields a GitOps tool or Helm owns: they will put their value back."""

    manager: str
    manager_class: ManagerClass
    fields: list[str]
    message: str


def ownership_warnings(owners: Iterable[ManagedFields], changed: Iterable[str]) -> list[OwnershipWarning]:
    """One warning per GitOps or Helm manager owning any of the ``changed`` paths."""
    changed = list(changed)
    warnings: list[OwnershipWarning] = []
    for entry in _reverting(owners):
        touched = [path for path in changed if any(covers(owned, path) for owned in entry.fields)]
        if touched:
            shown = ", ".join(touched[:5]) + (f" and {len(touched) - 5} more" if len(touched) > 5 else "")
            warnings.append(OwnershipWarning(
                manager=entry.manager,
                manager_class=entry.manager_class,
                fields=touched,
                message=f"{entry.manager} ({entry.manager_class}) manages {shown}: {_REVERTS[entry.manager_class]}",
            ))  # fmt: skip
    return warnings


def _reverting(owners: Iterable[ManagedFields]) -> Iterator[ManagedFields]:
    """GitOps and Helm entries, one per manager name (its entries' fields merged)."""
    merged: dict[str, ManagedFields] = {}
    for entry in owners:
        if entry.manager_class not in _REVERTS:
            continue
        seen = merged.get(entry.manager)
        merged[entry.manager] = entry if seen is None else msgspec.structs.replace(
            seen, fields=[*seen.fields, *entry.fields]
        )
    yield from merged.values()
