"""The id of the request being served, carried to every apiserver call it causes.

kube-apiserver takes a client-supplied ``Audit-ID`` header as the id of the audit
events it writes for that call (and echoes it back), so one id ties together the
console's logs, its own audit row and each cluster's audit log. Every apiserver call
a console request makes carries the same id.

A context variable carries it, so nothing passes it down by hand: the entrypoint binds
it for the duration of a request, and tasks started while serving that request
inherit it. Work that outlives the request it started in (a shared upstream watch)
keeps the id of the request that opened it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["AUDIT_ID_HEADER", "bind_request_id", "current_request_id"]

AUDIT_ID_HEADER = "Audit-ID"

_current: ContextVar[str] = ContextVar("periscope_request_id", default="")


def current_request_id() -> str:
    """The id bound by the request being served, or "" outside one."""
    return _current.get()


@contextmanager
def bind_request_id(request_id: str) -> Iterator[None]:
    """Make ``request_id`` current for the enclosed block (and the tasks it starts)."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)
