"""Watch responses: newline-delimited JSON events, as the apiserver streams them.

Rules:
- RV ""/"0" starts with the current objects as ADDED; RV X replays the history after X;
  an RV older than the history gets one ERROR event carrying a 410 Expired Status;
- `allowWatchBookmarks` adds a BOOKMARK whenever the stream has been idle for the
  bookmark interval; by then every event up to the bookmark's RV has been sent;
- `sendInitialEvents=true` ends the initial ADDED events with a bookmark annotated
  `k8s.io/initial-events-end`;
- `timeoutSeconds` ends the stream quietly; a dropped or too slow watcher ends it too.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio

from ._history import Obj, Predicate, Watch
from ._rest import partial, present, selection, table
from ._routes import is_true
from ._status import ApiError, Cause, bad_request, invalid
from ._wire import Call, ClosingStream, SandboxResponse, Wanted, encode, negotiate

if TYPE_CHECKING:
    from ._engine import ApiServer

INITIAL_EVENTS_END = "k8s.io/initial-events-end"


def _line(kind: str, obj: Obj) -> bytes:
    return encode({"type": kind, "object": obj}) + b"\n"


def _timeout(call: Call, default: float) -> float:
    raw = call.params.get("timeoutSeconds", "")
    if not raw:
        return default
    try:
        return max(int(raw), 0)
    except ValueError as exc:
        raise bad_request(f'strconv.ParseInt: parsing "{raw}": invalid syntax') from exc


def _initial_events(call: Call) -> bool | None:
    raw = call.params.get("sendInitialEvents")
    if raw is None:
        return None
    wanted = is_true(raw)
    causes = []
    if wanted and call.params.get("resourceVersionMatch") != "NotOlderThan":
        detail = "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"
        causes.append(Cause.forbidden("resourceVersionMatch", detail))
    if wanted and not is_true(call.params.get("allowWatchBookmarks")):
        causes.append(Cause.forbidden("allowWatchBookmarks",
                                      "sendInitialEvents requires setting allowWatchBookmarks to true"))
    if causes:
        raise invalid("ListOptions", "", causes, group="meta.k8s.io")
    return wanted


def watch_response(api: ApiServer, call: Call) -> SandboxResponse:
    wanted = negotiate(call.request.header("accept"))
    rt = call.rt
    predicate = selection(api, call)
    if call.info.legacy_watch and call.info.name:
        predicate = _named(call.info.name, predicate)
    initial = _initial_events(call)
    timeout = _timeout(call, api.watch_timeout)
    headers = [("Content-Type", wanted.content_type), ("Cache-Control", "no-cache, private")]
    try:
        watch = api.store.watch(
            rt.group, rt.plural, namespace=call.namespace or None, predicate=predicate,
            resource_version=call.params.get("resourceVersion", ""), send_initial_events=initial,
            user=call.user.name)
    except ApiError as exc:
        if exc.code != 410:
            raise
        return SandboxResponse(200, headers, stream=_single(_line("ERROR", exc.body)))
    bookmarks = is_true(call.params.get("allowWatchBookmarks"))
    events = _events(api, call, wanted, watch, bookmarks=bookmarks, initial_end=bool(initial),
                     timeout=timeout)
    return SandboxResponse(200, headers, stream=ClosingStream(events, lambda: api.store.unwatch(watch)))


def _named(name: str, predicate: Predicate | None) -> Predicate:
    def matches(obj: Obj) -> bool:
        return obj["metadata"]["name"] == name and (predicate is None or predicate(obj))

    return matches


async def _single(line: bytes) -> AsyncIterator[bytes]:
    yield line


class _Renderer:
    """Event objects in the requested form; Tables carry column definitions only once."""

    def __init__(self, api: ApiServer, call: Call, wanted: Wanted) -> None:
        self._api, self._call, self._wanted = api, call, wanted
        self._columns_sent = False

    def __call__(self, obj: Obj) -> Obj:
        if self._wanted.form == "Table":
            body = table(self._api, self._call, self._wanted, [obj])
            if self._columns_sent:
                body["columnDefinitions"] = []
            self._columns_sent = True
            return body
        if self._wanted.form == "PartialObjectMetadata":
            return partial(self._wanted, obj)
        return present(self._call.rt, obj)


def bookmark(call: Call, resource_version: int, *, initial_end: bool = False) -> Obj:
    metadata: dict[str, Any] = {"resourceVersion": str(resource_version), "creationTimestamp": None}
    if initial_end:
        metadata["annotations"] = {INITIAL_EVENTS_END: "true"}
    return {"kind": call.rt.kind, "apiVersion": call.rt.api_version, "metadata": metadata}


async def _events(
    api: ApiServer,
    call: Call,
    wanted: Wanted,
    watch: Watch,
    *,
    bookmarks: bool,
    initial_end: bool,
    timeout: float,
) -> AsyncGenerator[bytes, None]:
    render = _Renderer(api, call, wanted)
    try:
        for event in watch.initial:
            yield _line(event.type, render(event.object))
        if initial_end:
            yield _line("BOOKMARK", bookmark(call, watch.start_rv, initial_end=True))
        deadline = anyio.current_time() + timeout
        while (remaining := deadline - anyio.current_time()) > 0:
            wait = min(remaining, api.bookmark_interval) if bookmarks else remaining
            received = None
            with anyio.move_on_after(wait):
                received = await watch.events.receive()
            if received is not None:
                yield _line(received.type, render(received.object))
            elif bookmarks and deadline > anyio.current_time():
                yield _line("BOOKMARK", bookmark(call, api.store.resource_version))
    except anyio.EndOfStream:
        return
