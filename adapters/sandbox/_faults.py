"""Fault injection for tests: slow answers, failing answers, refused upgrades, dropped watches, lost history.

Rules match a regular expression (`re.search`) against the request path followed by its
query string when there is one (`/api/v1/pods?watch=true`), so a test can aim at one
resource, one verb or one object; exec upgrades are requests like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import anyio

from ._status import ApiError, status

_MESSAGES: dict[int, tuple[str, str]] = {
    429: ("TooManyRequests", "the server has received too many requests and has asked us to try again later"),
    500: ("InternalError", "Internal error occurred: injected fault"),
    502: ("", "the server responded with an error: injected fault"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: ("Timeout", "the server was unable to return a response in the time allotted, but may still be "
                     "processing the request"),
}


class _Failure:
    def __init__(self, pattern: re.Pattern[str], code: int, times: int) -> None:
        self.pattern, self.code, self.remaining = pattern, code, times


class Faults:
    """Hooks a test arms on one ApiServer; `clear()` disarms them all."""

    def __init__(self, *, drop_watches: Callable[[], None], expire_history: Callable[[], None]) -> None:
        self._drop_watches = drop_watches
        self._expire_history = expire_history
        self._delays: list[tuple[re.Pattern[str], float]] = []
        self._failures: list[_Failure] = []
        self._refusals: dict[str, int] = {}

    def delay(self, path_regex: str, seconds: float) -> None:
        """Every matching request waits `seconds` before it is handled."""
        self._delays.append((re.compile(path_regex), seconds))

    def fail(self, path_regex: str, status: int = 500, times: int = 1) -> None:
        """The next `times` matching requests get a `status` Status instead of an answer."""
        self._failures.append(_Failure(re.compile(path_regex), status, times))

    def refuse_subprotocol(self, subprotocol: str, times: int = 1) -> None:
        """The next `times` exec upgrades offering `subprotocol` fail with 400, as behind a proxy that breaks it."""
        self._refusals[subprotocol] = times

    def refused_subprotocol(self, offered: Sequence[str]) -> str | None:
        """The armed subprotocol among `offered`, counting the refusal; None to let the upgrade proceed."""
        for subprotocol in offered:
            if self._refusals.get(subprotocol, 0) > 0:
                self._refusals[subprotocol] -= 1
                return subprotocol
        return None

    def drop_watches(self) -> None:
        """Ends every open watch stream now; clients must re-watch from their last resourceVersion."""
        self._drop_watches()

    def expire_history(self) -> None:
        """Compacts the history: every older resourceVersion and continue token now gets 410."""
        self._expire_history()

    def clear(self) -> None:
        self._delays.clear()
        self._failures.clear()
        self._refusals.clear()

    async def intercept(self, target: str) -> ApiError | None:
        """Applies the armed delays to a request; returns the failure to answer with, if any."""
        for pattern, seconds in list(self._delays):
            if pattern.search(target):
                await anyio.sleep(seconds)
        for failure in self._failures:
            if failure.remaining > 0 and failure.pattern.search(target):
                failure.remaining -= 1
                return injected(failure.code)
        return None


def injected(code: int) -> ApiError:
    reason, message = _MESSAGES.get(code, ("", "injected fault"))
    details: dict[str, Any] = {"retryAfterSeconds": 1} if code in (429, 503) else {}
    return ApiError(status(code, message, reason=reason or None, details=details))
