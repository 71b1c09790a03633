"""Which lists in built-in kinds are associative, and by which keys.

Strategic merge patch and server-side apply both need to know, for a field path
with list indices removed (``("spec", "template", "spec", "containers")``),
whether its list is merged item by item, merged as a set of scalars, or replaced
whole. The answers mirror the ``patchMergeKey``/``listMapKey`` markers of the
Kubernetes Go types for the kinds the sandbox serves; every other list is atomic,
which is also what the apiserver does for custom resources without list markers.

Rules match the last two path elements, so one rule covers a pod spec wherever it
is embedded (Pod, a workload's ``spec.template.spec``, a CronJob's
``spec.jobTemplate.spec.template.spec``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = [
    "LIST_KEY_DEFAULTS",
    "is_atomic_map",
    "is_set_list",
    "list_map_keys",
    "list_merge_key",
]

_CONTAINER_LISTS: Final = ("containers", "initContainers", "ephemeralContainers")


def _keyed_rules() -> dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]]:
    """Suffix -> (strategic merge key, server-side apply list-map keys)."""
    name = ("name",)
    rules: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {
        ("metadata", "ownerReferences"): (("uid",), ("uid",)),
        ("spec", "volumes"): (name, name),
        ("spec", "imagePullSecrets"): (name, name),
        ("spec", "hostAliases"): (("ip",), ("ip",)),
        ("spec", "resourceClaims"): (name, name),
        ("spec", "schedulingGates"): (name, name),
        # Patches match on the topology key alone; apply needs both to tell a
        # DoNotSchedule constraint from a ScheduleAnyway one on the same key.
        ("spec", "topologySpreadConstraints"): (("topologyKey",), ("topologyKey", "whenUnsatisfiable")),
        # Service ports: the same port number may be open for TCP and UDP.
        ("spec", "ports"): (("port",), ("port", "protocol")),
        ("status", "conditions"): (("type",), ("type",)),
        ("status", "podIPs"): (("ip",), ("ip",)),
        ("status", "hostIPs"): (("ip",), ("ip",)),
    }
    for containers in _CONTAINER_LISTS:
        rules[("spec", containers)] = (name, name)
        rules[(containers, "env")] = (name, name)
        rules[(containers, "ports")] = (("containerPort",), ("containerPort", "protocol"))
        rules[(containers, "volumeMounts")] = (("mountPath",), ("mountPath",))
        rules[(containers, "volumeDevices")] = (("devicePath",), ("devicePath",))
    return rules


_KEYED: Final = _keyed_rules()
_SET_LISTS: Final = frozenset({("metadata", "finalizers"), ("spec", "podCIDRs")})
# LabelSelector is a structType=atomic, and Service/pod node selectors are
# mapType=atomic: apply owns them as one field, never key by key.
_ATOMIC_MAPS: Final = frozenset(
    {"selector", "labelSelector", "namespaceSelector", "podSelector", "nodeSelector"}
)

# Key fields the apiserver defaults before it computes list identities, so an
# applied port without a protocol still matches the live TCP port.
LIST_KEY_DEFAULTS: Final[Mapping[str, str]] = {"protocol": "TCP"}


def list_merge_key(path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The strategic-merge ``patchMergeKey`` of the list at ``path``, or None if it is atomic."""
    rule = _KEYED.get(path[-2:])
    return rule[0] if rule else None


def list_map_keys(path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The server-side apply ``listMapKey`` fields of the list at ``path``, or None if not a map list."""
    rule = _KEYED.get(path[-2:])
    return rule[1] if rule else None


def is_set_list(path: tuple[str, ...]) -> bool:
    """True if the list of scalars at ``path`` merges as a set (``listType=set``, patch strategy merge)."""
    return path[-2:] in _SET_LISTS


def is_atomic_map(path: tuple[str, ...]) -> bool:
    """True if server-side apply owns the object at ``path`` as a single field."""
    return bool(path) and path[-1] in _ATOMIC_MAPS
