"""Load and validate the cluster registry file.

Validation collects every problem before failing, and names the file, the entry and
the field of each, so an operator fixes the file in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
import yaml

from periscope_core.domain.clusters import (
    BUILTIN_BACKENDS,
    ClusterEntry,
    ClusterRegistry,
    is_cluster_name,
    parse_eks_arn,
)
from periscope_core.domain.errors import ConfigError, ConfigProblem

_EXEC_INT_FIELDS = (
    "serverIdleSeconds", "idleWarnSeconds", "heartbeatSeconds", "maxSessionsPerUser", "maxSessionsTotal",
)


def load_registry(path: str | Path, *, backends: Iterable[str] = BUILTIN_BACKENDS) -> ClusterRegistry:
    """Read and validate a registry file; raises ConfigError listing every problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(file=source, message=f"cannot read: {exc.strerror or exc}")]) from exc
    return parse_registry(text, source=source, backends=backends)


def parse_registry(text: str, *, source: str, backends: Iterable[str] = BUILTIN_BACKENDS) -> ClusterRegistry:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(file=source, message=f"not valid YAML: {exc}")]) from exc
    if document is None:
        return ClusterRegistry(source=source)
    if not isinstance(document, dict) or not isinstance(document.get("clusters", []), list):
        raise ConfigError([ConfigProblem(file=source, message="expected a mapping with a 'clusters' list")])
    unknown_top = sorted(set(document) - {"clusters"})
    problems = [ConfigProblem(file=source, field=k, message="unknown top-level key") for k in unknown_top]
    known_backends = set(backends)
    entries: list[ClusterEntry] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(document.get("clusters") or []):
        entry, entry_problems = _entry(raw, index=index, source=source, backends=known_backends, seen=seen)
        problems.extend(entry_problems)
        if entry is not None:
            entry, entry_warnings = _drop_non_positive_exec(entry, source=source, index=index)
            warnings.extend(entry_warnings)
            entries.append(entry)
            seen.add(entry.name)
    if problems:
        raise ConfigError(problems)
    return ClusterRegistry(clusters=tuple(entries), source=source, warnings=tuple(warnings))


def _entry(
    raw: Any, *, index: int, source: str, backends: set[str], seen: set[str]
) -> tuple[ClusterEntry | None, list[ConfigProblem]]:
    label = f"clusters[{index}]"
    if isinstance(raw, dict) and isinstance(raw.get("name"), str) and raw["name"]:
        label += f" ({raw['name']})"

    def problem(field: str, message: str) -> ConfigProblem:
        return ConfigProblem(file=source, entry=label, field=field, message=message)

    if not isinstance(raw, dict):
        return None, [problem("", "expected a mapping")]
    try:
        entry = msgspec.convert(raw, type=ClusterEntry)
    except msgspec.ValidationError as exc:
        return None, [problem(_field_of(str(exc)), str(exc))]

    problems: list[ConfigProblem] = []
    if not is_cluster_name(entry.name):
        problems.append(problem("name", "must be a DNS-1123 label: at most 63 characters of a-z, 0-9 and '-', "
                                        "starting and ending with a letter or digit"))
    if entry.name in seen:
        problems.append(problem("name", f"duplicate cluster name {entry.name!r}"))
    if entry.backend not in backends:
        problems.append(problem("backend", f"unknown backend {entry.backend!r}; expected one of "
                                           f"{', '.join(sorted(backends))}"))
    if entry.backend == "eks":
        if not entry.region:
            problems.append(problem("region", "required for backend eks"))
        if not entry.arn:
            problems.append(problem("arn", "required for backend eks"))
        elif parse_eks_arn(entry.arn) is None:
            problems.append(problem("arn", "expected arn:aws:eks:<region>:<account>:cluster/<name>"))
    if entry.backend == "kubeconfig" and not entry.kubeconfigPath:
        problems.append(problem("kubeconfigPath", "required for backend kubeconfig"))
    return entry, problems


def _drop_non_positive_exec(entry: ClusterEntry, *, source: str, index: int) -> tuple[ClusterEntry, list[str]]:
    """A non-positive exec override is ignored (as documented), with a warning naming it."""
    ignored = [k for k in _EXEC_INT_FIELDS if (v := getattr(entry.exec, k)) is not None and v <= 0]
    if not ignored:
        return entry, []
    exec_overrides = msgspec.structs.replace(entry.exec, **dict.fromkeys(ignored))
    warnings = [
        f"{source}: clusters[{index}] ({entry.name}): exec.{k}: non-positive value ignored, the default applies"
        for k in ignored
    ]
    return msgspec.structs.replace(entry, exec=exec_overrides), warnings


def _field_of(message: str) -> str:
    """msgspec names the offending field as `$.field...` or "unknown field `x`"."""
    match = re.search(r"`\$\.([^`]+)`", message) or re.search(r"field `([^`]+)`", message)
    return match.group(1) if match else ""
