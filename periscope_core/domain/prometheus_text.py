"""The Prometheus text exposition format, read just enough to pick out samples by metric name.

``name{label="value",...} 1.5 [timestamp]`` per line; ``#`` lines are comments. Label
values may hold escaped quotes, backslashes and newlines. Malformed lines are skipped:
a scrape is advisory, and one odd line must not hide the rest.
"""

from __future__ import annotations

import math

import msgspec

__all__ = ["Sample", "samples"]


class Sample(msgspec.Struct, frozen=True):
    name: str
    labels: dict[str, str]
    value: float


def samples(text: str, *, names: frozenset[str] | None = None) -> list[Sample]:
    """Every well-formed sample, or only those whose metric name is in ``names``."""
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        sample = _sample(line)
        if sample is not None and (names is None or sample.name in names):
            found.append(sample)
    return found


def _sample(line: str) -> Sample | None:
    brace = line.find("{")
    space = line.find(" ")
    if brace != -1 and (space == -1 or brace < space):
        name = line[:brace]
        labels, rest = _labels(line[brace + 1 :])
        if labels is None:
            return None
    else:
        name, _, rest = line.partition(" ")
        labels = {}
    fields = rest.split()
    if not name or not fields:
        return None
    try:
        value = float(fields[0])
    except ValueError:
        return None
    return None if math.isnan(value) else Sample(name=name, labels=labels, value=value)


def _labels(text: str) -> tuple[dict[str, str] | None, str]:
    """The labels up to the closing brace, and what follows; None when they do not parse."""
    labels: dict[str, str] = {}
    position = 0
    while True:
        while position < len(text) and text[position] in " ,":
            position += 1
        if position < len(text) and text[position] == "}":
            return labels, text[position + 1 :]
        equals = text.find("=", position)
        if equals == -1 or equals + 1 >= len(text) or text[equals + 1] != '"':
            return None, ""
        key = text[position:equals].strip()
        value, position = _quoted(text, equals + 2)
        if value is None:
            return None, ""
        labels[key] = value


def _quoted(text: str, start: int) -> tuple[str | None, int]:
    out = []
    position = start
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            escaped = text[position + 1]
            out.append({"n": "\n", "\\": "\\", '"': '"'}.get(escaped, escaped))
            position += 2
        elif char == '"':
            return "".join(out), position + 1
        else:
            out.append(char)
            position += 1
    return None, position
