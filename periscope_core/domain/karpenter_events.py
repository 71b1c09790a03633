"""Karpenter's FailedScheduling events, read as a per-NodePool list of reasons.

Karpenter writes one event per unschedulable pod::

    Failed to schedule pod, incompatible with nodepool "general", daemonset overhead={"cpu":"210m"},
    no instance type satisfied resources {...}; incompatible with nodepool "gpu", daemonset overhead={...},
    did not tolerate nvidia.com/gpu=true:NoSchedule

Pools are separated by ``; incompatible with nodepool``, and a reason may itself contain
``;``, ``,`` and braces, so the split is on the pool marker and the overhead is read as
one balanced JSON object. The default scheduler's wording never matches, so its events
are not mistaken for Karpenter's.
"""

from __future__ import annotations

import re

import msgspec

__all__ = ["NodePoolRejection", "parse_failed_scheduling"]

_POOL = re.compile(r'incompatible with nodepool "(?P<name>[^"]+)"(?:, )?')
_OVERHEAD = "daemonset overhead="


class NodePoolRejection(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    """Why one NodePool could not take the pod."""

    node_pool: str
    reason: str
    daemonset_overhead: dict[str, str] = {}


def parse_failed_scheduling(message: str) -> list[NodePoolRejection] | None:
    """The per-pool reasons in a Karpenter message; None when the message is not Karpenter's."""
    matches = list(_POOL.finditer(message))
    if not matches:
        return None
    rejections = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(message)
        body = message[match.end() : end].rstrip().removesuffix(";").strip()
        overhead: dict[str, str] = {}
        if body.startswith(_OVERHEAD):
            raw, rest = _balanced_object(body.removeprefix(_OVERHEAD))
            if raw:
                overhead, body = _overhead(raw), rest.removeprefix(",").strip()
        rejections.append(NodePoolRejection(node_pool=match["name"], reason=body, daemonset_overhead=overhead))
    return rejections


def _balanced_object(text: str) -> tuple[str, str]:
    """The leading ``{...}`` of ``text`` (strings respected) and what follows it."""
    depth, in_string, escaped = 0, False, False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[: position + 1], text[position + 1 :]
    return "", text


def _overhead(raw: str) -> dict[str, str]:
    try:
        decoded = msgspec.json.decode(raw) if raw else {}
    except msgspec.DecodeError:
        return {}
    return {str(k): str(v) for k, v in decoded.items()} if isinstance(decoded, dict) else {}
