"""Which kinds are streamed live, and how many streams one person may hold open.

``PERISCOPE_WATCH_STREAMS`` grammar (tokens are trimmed and case-insensitive):

- empty or ``all``: every streamable kind, custom resources included;
- ``off`` or ``none``: nothing is streamed (the UI polls);
- otherwise a comma list of kind plurals (``pods``, ``pvcs``...), group aliases
  (``core``, ``workloads``, ``networking``, ``storage``, ``cluster``), ``configmaps``
  and ``customresources``.

Unlike the original product, an unknown token is a start-up error naming it, and the
keywords cannot be mixed into a list, so a typo never silently disables a kind.
"""

from __future__ import annotations

import msgspec

from periscope_core.domain.errors import ConfigError, ConfigProblem
from periscope_core.domain.resources import KINDS

__all__ = [
    "CUSTOM_RESOURCES",
    "DEFAULT_PER_USER_LIMIT",
    "STREAMABLE",
    "WATCH_GROUPS",
    "WatchStreams",
    "parse_per_user_limit",
    "parse_watch_streams",
]

_ENV_STREAMS = "PERISCOPE_WATCH_STREAMS"
_ENV_LIMIT = "PERISCOPE_WATCH_PER_USER_LIMIT"
_SOURCE = "environment"

CUSTOM_RESOURCES = "customresources"
"""The token that enables streams for custom resources (they have no fixed plural)."""
DEFAULT_PER_USER_LIMIT = 60

_GROUP_ORDER = ("core", "workloads", "networking", "storage", "cluster")
WATCH_GROUPS: dict[str, tuple[str, ...]] = {
    group: tuple(k.plural for k in KINDS if k.watch_group == group) for group in _GROUP_ORDER
}
# Config maps are streamed although the original registry had no group for them.
_EXTRA = ("configmaps",)
STREAMABLE: tuple[str, ...] = tuple(
    k.plural for group in _GROUP_ORDER for k in KINDS if k.watch_group == group
) + _EXTRA
"""Every kind plural a watch stream can be opened for, in the order ``/api/features`` lists them."""


class WatchStreams(msgspec.Struct, frozen=True):
    """The enabled kinds; ask ``enabled(plural)`` before serving a watch route."""

    kinds: tuple[str, ...] = STREAMABLE
    custom_resources: bool = True

    def enabled(self, plural: str) -> bool:
        return plural in self.kinds

    def names(self) -> list[str]:
        """What is on, as ``/api/features`` lists it: the kinds, then ``customresources``."""
        return list(self.kinds) + ([CUSTOM_RESOURCES] if self.custom_resources else [])

    def describe(self) -> str:
        """The start-up log line: what is on."""
        names = self.names()
        return "watch streams enabled: " + (", ".join(names) if names else "none (the UI polls)")


def _problem(variable: str, message: str) -> ConfigProblem:
    return ConfigProblem(file=_SOURCE, field=variable, message=message)


def parse_watch_streams(value: str) -> WatchStreams:
    """The streamed kinds for a ``PERISCOPE_WATCH_STREAMS`` value; ConfigError names every bad token."""
    tokens = [t.strip().lower() for t in value.split(",")]
    tokens = [t for t in tokens if t]
    if not tokens or tokens == ["all"]:
        return WatchStreams()
    if tokens in (["off"], ["none"]):
        return WatchStreams(kinds=(), custom_resources=False)
    problems: list[ConfigProblem] = []
    wanted: set[str] = set()
    for token in tokens:
        if token in ("all", "off", "none"):
            problems.append(_problem(_ENV_STREAMS, f"{token!r} must be used on its own, not in a list"))
        elif token in WATCH_GROUPS:
            wanted.update(WATCH_GROUPS[token])
        elif token in STREAMABLE or token == CUSTOM_RESOURCES:
            wanted.add(token)
        else:
            known = ", ".join((*WATCH_GROUPS, *STREAMABLE, CUSTOM_RESOURCES))
            problems.append(_problem(_ENV_STREAMS, f"unknown token {token!r}; known tokens: {known}"))
    if problems:
        raise ConfigError(problems)
    return WatchStreams(
        kinds=tuple(p for p in STREAMABLE if p in wanted), custom_resources=CUSTOM_RESOURCES in wanted
    )


def parse_per_user_limit(value: str) -> int:
    """``PERISCOPE_WATCH_PER_USER_LIMIT``: empty means the default (60), 0 switches the cap off."""
    text = value.strip()
    if not text:
        return DEFAULT_PER_USER_LIMIT
    try:
        limit = int(text)
    except ValueError:
        limit = -1
    if limit < 0:
        raise ConfigError([_problem(_ENV_LIMIT, f"expected a whole number >= 0 (0 = no cap), got {value!r}")])
    return limit

