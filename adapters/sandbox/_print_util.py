"""Shared pieces of the table printers: columns, ages, selectors and safe field access.

The printers (`_print_workloads`, `_print_cluster`) mirror ``pkg/printers/internalversion``
of Kubernetes 1.31 on plain JSON objects: the same columns, cell values and cell types. The
server renders tables as if ``-o wide`` were asked; kubectl hides priority-1 columns itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

Obj = dict[str, Any]
Cells = list[Any]


class Column(NamedTuple):
    name: str
    type: str
    description: str
    priority: int = 0
    format: str = ""


class Printer(NamedTuple):
    columns: tuple[Column, ...]
    cells: Callable[[Obj, datetime], Cells]


def human_duration(delta: timedelta) -> str:
    """apimachinery's duration.HumanDuration: about two significant figures."""
    seconds = int(delta.total_seconds())  # truncates toward zero, like Go's int()
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes, hours = seconds // 60, seconds // 3600
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    if hours < 24 * 365 * 8:
        return f"{days // 365}y{days % 365}d" if days % 365 else f"{days // 365}y"
    return f"{days // 365}y"


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (Time or MicroTime); None when absent or unparsable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def age(value: Any, now: datetime) -> str:
    """translateTimestampSince: "<unknown>" for a missing time."""
    when = parse_time(value)
    return "<unknown>" if when is None else human_duration(now - when)


def get(obj: Any, *path: str | int) -> Any:
    """The value at `path` (keys and list indexes), or None when any step is missing."""
    for key in path:
        if isinstance(obj, dict) and isinstance(key, str):
            obj = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return None
    return obj


def items(obj: Any, *path: str) -> list[Any]:
    """The list at `path`, or an empty list."""
    return get(obj, *path) or []


def format_labels(labels: dict[str, str] | None) -> str:
    """labels.FormatLabels: sorted ``k=v`` pairs, ``<none>`` when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "<none>"


def selector_string(selector: Obj | None) -> str:
    """labels.Selector.String() of a LabelSelector: requirements sorted by key."""
    match_labels = (selector or {}).get("matchLabels") or {}
    requirements = [(key, f"{key}={value}") for key, value in match_labels.items()]
    for expr in (selector or {}).get("matchExpressions") or []:
        key, values = expr.get("key", ""), ",".join(sorted(set(expr.get("values") or ())))
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key,
                "DoesNotExist": f"!{key}"}.get(expr.get("operator", ""), key)
        requirements.append((key, text))
    return ",".join(text for _, text in sorted(requirements, key=lambda r: r[0]))


def format_selector(selector: Obj | None) -> str:
    """metav1.FormatLabelSelector: the selector string, ``<none>`` when it selects everything."""
    return selector_string(selector) or "<none>"


def containers(pod_spec: Any) -> tuple[str, str]:
    """The Containers and Images cells: names and images joined by commas."""
    listed = items(pod_spec, "containers")
    return ",".join(c.get("name", "") for c in listed), ",".join(c.get("image", "") for c in listed)


def name_of(o: Obj) -> str:
    return str(get(o, "metadata", "name") or "")


def created(o: Obj, now: datetime) -> str:
    return age(get(o, "metadata", "creationTimestamp"), now)


def condition(conditions: Iterable[Obj], kind: str) -> str | None:
    """The status ("True", "False", ...) of the first condition of type `kind`."""
    return next((c.get("status") for c in conditions if c.get("type") == kind), None)


def with_more(shown: list[str], limit: int, total: int, empty: str = "<unset>") -> str:
    """A list cut to `limit` entries with a "+ N more..." tail, as several printers show."""
    text = ",".join(shown[:limit])
    return f"{text} + {total - limit} more..." if total > limit else (text or empty)


NAME = Column("Name", "string", "Name must be unique within a namespace.", format="name")
AGE = Column("Age", "string", "Time since the object was created.")
CONTAINERS = Column("Containers", "string", "Names of each container in the template.", 1)
IMAGES = Column("Images", "string", "Images referenced by each container in the template.", 1)
SELECTOR = Column("Selector", "string", "Label query over the pods this object selects.", 1)


def col(name: str, description: str, kind: str = "string", priority: int = 0) -> Column:
    """A column definition without a format (all but the Name columns)."""
    return Column(name, kind, description, priority)


