"""kubectl-style tables for ``periscope get``, rendered from the list summary rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from periscope_core.domain.resources import KINDS, KindSpec, kind_by_plural

__all__ = ["age", "render", "resolve_kind"]

Column = tuple[str, Callable[[Any], str]]

# kubectl's short names and singulars for the kinds the console serves.
_ALIASES: dict[str, str] = {
    "po": "pods", "deploy": "deployments", "sts": "statefulsets", "ds": "daemonsets", "rs": "replicasets",
    "svc": "services", "ing": "ingresses", "cm": "configmaps", "cj": "cronjobs", "pvc": "pvcs",
    "persistentvolumeclaims": "pvcs", "pv": "pvs", "persistentvolumes": "pvs", "sc": "storageclasses",
    "sa": "serviceaccounts", "hpa": "horizontalpodautoscalers", "pdb": "poddisruptionbudgets",
    "netpol": "networkpolicies", "quota": "resourcequotas", "limits": "limitranges", "pc": "priorityclasses",
    "no": "nodes", "ns": "namespaces", "ev": "events",
}


def resolve_kind(name: str) -> KindSpec | None:
    """The kind for a plural, singular, Kind or kubectl short name (case-insensitive)."""
    key = name.lower()
    spec = kind_by_plural(_ALIASES.get(key, key))
    return spec or next((k for k in KINDS if k.kind.lower() == key), None)


def age(timestamp: str, now: datetime) -> str:
    """``kubectl``'s coarse age: 45s, 12m, 5h, 3d; ``<unknown>`` when unparsable."""
    try:
        seconds = int((now - datetime.fromisoformat(timestamp)).total_seconds())
    except ValueError:
        return "<unknown>"
    seconds = max(seconds, 0)
    for unit, size, limit in (("s", 1, 120), ("m", 60, 120 * 60), ("h", 3600, 48 * 3600)):
        if seconds < limit:
            return f"{seconds // size}{unit}"
    return f"{seconds // 86400}d"


def _ports(row: Any) -> str:
    return ",".join(
        f"{p.port}:{p.node_port}/{p.protocol}" if p.node_port else f"{p.port}/{p.protocol}" for p in row.ports
    ) or "<none>"


_COLUMNS: dict[str, list[Column]] = {
    "pods": [("READY", lambda r: r.ready), ("STATUS", lambda r: r.status), ("RESTARTS", lambda r: str(r.restarts))],
    "deployments": [
        ("READY", lambda r: f"{r.ready}/{r.replicas}"),
        ("UP-TO-DATE", lambda r: str(r.updated or 0)),
        ("AVAILABLE", lambda r: str(r.available)),
    ],
    "statefulsets": [("READY", lambda r: f"{r.ready}/{r.replicas}")],
    "replicasets": [
        ("DESIRED", lambda r: str(r.replicas)),
        ("READY", lambda r: str(r.ready)),
        ("AVAILABLE", lambda r: str(r.available)),
    ],
    "daemonsets": [
        ("DESIRED", lambda r: str(r.desired)),
        ("CURRENT", lambda r: str(r.current)),
        ("READY", lambda r: str(r.ready)),
        ("UP-TO-DATE", lambda r: str(r.updated)),
        ("AVAILABLE", lambda r: str(r.available)),
    ],
    "jobs": [("COMPLETIONS", lambda r: f"{r.succeeded}/{r.completions if r.completions is not None else 1}")],
    "cronjobs": [
        ("SCHEDULE", lambda r: r.schedule),
        ("SUSPEND", lambda r: str(r.suspend)),
        ("ACTIVE", lambda r: str(r.active)),
    ],
    "services": [
        ("TYPE", lambda r: r.type),
        ("CLUSTER-IP", lambda r: r.cluster_ip or "<none>"),
        ("EXTERNAL-IP", lambda r: ",".join(r.external_ips) or "<none>"),
        ("PORT(S)", _ports),
    ],
    "nodes": [
        ("STATUS", lambda r: r.status),
        ("ROLES", lambda r: ",".join(r.roles) or "<none>"),
        ("VERSION", lambda r: r.kubelet_version),
    ],
    "namespaces": [("STATUS", lambda r: r.phase)],
    "secrets": [("TYPE", lambda r: r.type), ("DATA", lambda r: str(len(r.keys)))],
    "configmaps": [("DATA", lambda r: str(len(r.keys)))],
}
_EVENT_COLUMNS: list[Column] = [
    ("TYPE", lambda r: r.type),
    ("REASON", lambda r: r.reason),
    ("OBJECT", lambda r: f"{r.involved_object.kind.lower()}/{r.involved_object.name}"),
    ("MESSAGE", lambda r: r.message),
]


def render(spec: KindSpec, rows: Sequence[Any], *, all_namespaces: bool, now: datetime | None = None) -> str:
    """An aligned table: [NAMESPACE] NAME, the kind's columns, AGE (three spaces between columns).

    Events follow ``kubectl get events`` instead: no NAME, LAST SEEN first and the
    free-text MESSAGE last, so a long message pads nothing.
    """
    now = now or datetime.now(UTC)
    columns: list[Column]
    if spec.plural == "events":
        columns = [("LAST SEEN", lambda r: age(r.last_timestamp, now)), *_EVENT_COLUMNS]
    else:
        columns = [("NAME", lambda r: r.name), *_COLUMNS.get(spec.plural, [])]
        columns.append(("AGE", lambda r: age(r.created_at, now)))
    if all_namespaces and spec.namespaced:
        columns.insert(0, ("NAMESPACE", lambda r: r.namespace))
    table = [[header for header, _ in columns]]
    table.extend([cell(row) for _, cell in columns] for row in rows)
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    return "\n".join(
        "   ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip() for line in table
    )
