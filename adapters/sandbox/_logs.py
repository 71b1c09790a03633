"""Container logs: a bounded buffer per container, and `pods/log` as the kubelet serves it.

Lines are appended by whoever plays the container (churn, controllers, tests). A
follower gets the selected backlog, then new lines live, and its stream ends when the
pod is deleted. A container restart moves the buffer to `previous`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncGenerator, Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._routes import is_true
from ._status import Cause, bad_request, invalid
from ._wire import ClosingStream, SandboxResponse

_Key = tuple[str, str, str]
_TEXT = [("Content-Type", "text/plain"), ("Cache-Control", "no-cache, private")]


class LogLine(NamedTuple):
    at: datetime
    text: str


class LogBook:
    """Per-container log buffers of every pod of one cluster."""

    def __init__(
        self, *, clock: Callable[[], datetime], limit: int = 5_000, follow_buffer: int = 1_000
    ) -> None:
        self._clock = clock
        self._limit = limit
        self._follow_buffer = follow_buffer
        self._current: dict[_Key, deque[LogLine]] = {}
        self._previous: dict[_Key, deque[LogLine]] = {}
        self._followers: dict[_Key, set[MemoryObjectSendStream[LogLine]]] = {}

    def append(
        self, namespace: str, pod: str, container: str, line: str, *, at: datetime | None = None
    ) -> None:
        key = (namespace, pod, container)
        entry = LogLine(at or self._clock(), line.rstrip("\n"))
        self._current.setdefault(key, deque(maxlen=self._limit)).append(entry)
        for follower in list(self._followers.get(key, ())):
            try:
                follower.send_nowait(entry)
            except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                follower.close()  # a reader this far behind is cut off, as a slow watcher is
                self._followers[key].discard(follower)

    def restart(self, namespace: str, pod: str, container: str) -> None:
        """The container restarted: its log so far becomes `previous`."""
        key = (namespace, pod, container)
        self._previous[key] = self._current.pop(key, deque(maxlen=self._limit))

    def forget(self, namespace: str, pod: str) -> None:
        """The pod is gone: drop its buffers and end every follower."""
        for store in (self._current, self._previous, self._followers):
            for key in [k for k in store if k[:2] == (namespace, pod)]:
                removed = store.pop(key)
                if isinstance(removed, set):
                    for follower in removed:
                        follower.close()

    def lines(
        self, namespace: str, pod: str, container: str, *, previous: bool = False
    ) -> list[LogLine] | None:
        source = self._previous if previous else self._current
        buffer = source.get((namespace, pod, container))
        return list(buffer) if buffer is not None else None

    def follow(self, namespace: str, pod: str, container: str) -> MemoryObjectReceiveStream[LogLine]:
        send, receive = anyio.create_memory_object_stream[LogLine](max_buffer_size=self._follow_buffer)
        self._followers.setdefault((namespace, pod, container), set()).add(send)
        return receive

    def now(self) -> datetime:
        return self._clock()


def choose_container(pod: dict[str, Any], wanted: str) -> str:
    """The container a log request means; the apiserver's messages when it cannot tell."""
    name = pod["metadata"]["name"]
    spec = pod.get("spec") or {}
    containers: list[str] = [c.get("name", "") for c in spec.get("containers") or []]
    everything = [c.get("name", "") for key in ("initContainers", "containers", "ephemeralContainers")
                  for c in spec.get(key) or []]
    if wanted:
        if wanted not in everything:
            raise bad_request(f"container {wanted} is not valid for pod {name}")
        return wanted
    if len(containers) == 1:
        return containers[0]
    if not containers:
        raise bad_request(f"a container name must be specified for pod {name}")
    choices = " ".join(everything)
    raise bad_request(f"a container name must be specified for pod {name}, choose one of: [{choices}]")


# The kubelet words these two waiting reasons differently from the reason itself.
_WAITING_WORDS = {
    "ImagePullBackOff": "trying and failing to pull image",
    "ErrImagePull": "image can't be pulled",
}


def _waiting_reason(pod: dict[str, Any], container: str) -> str | None:
    """Why logs cannot be served yet; None once the container ran at least once.

    Like the kubelet, a waiting container that terminated before (a crash loop) serves
    the logs of its last attempt.
    """
    status = pod.get("status") or {}
    for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        for entry in status.get(key) or []:
            if entry.get("name") == container:
                waiting = (entry.get("state") or {}).get("waiting")
                if waiting is None or (entry.get("lastState") or {}).get("terminated"):
                    return None
                reason = str(waiting.get("reason", ""))
                return _WAITING_WORDS.get(reason, reason)
    return None


def _int_param(params: dict[str, str], name: str) -> int | None:
    if name not in params:
        return None
    try:
        value = int(params[name])
    except ValueError as exc:
        raise bad_request(f'strconv.ParseInt: parsing "{params[name]}": invalid syntax') from exc
    minimum = 1 if name in ("sinceSeconds", "limitBytes") else 0
    if value < minimum:
        detail = "must be greater than 0" if minimum else "must be greater than or equal to 0"
        raise invalid("PodLogOptions", "", [Cause.invalid(name, value, detail)])
    return value


def _render(line: LogLine, timestamps: bool) -> bytes:
    if not timestamps:
        return (line.text + "\n").encode()
    stamp = line.at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
    return f"{stamp} {line.text}\n".encode()


def pod_log(book: LogBook, pod: dict[str, Any], params: dict[str, str]) -> SandboxResponse:
    """Answers GET pods/<name>/log with the kubelet's filters, streaming when `follow` is set."""
    namespace, name = pod["metadata"].get("namespace", ""), pod["metadata"]["name"]
    container = choose_container(pod, params.get("container", ""))
    tail, since, limit = (_int_param(params, p) for p in ("tailLines", "sinceSeconds", "limitBytes"))
    previous, timestamps, follow = (is_true(params.get(p)) for p in ("previous", "timestamps", "follow"))
    reason = _waiting_reason(pod, container)
    if reason is not None and not previous:
        raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: {reason}')
    lines = book.lines(namespace, name, container, previous=previous)
    if lines is None and previous:
        raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
    selected = lines or []
    if since is not None:
        cutoff = book.now() - timedelta(seconds=since)
        selected = [line for line in selected if line.at >= cutoff]
    if tail is not None:
        selected = selected[-tail:] if tail else []
    backlog = b"".join(_render(line, timestamps) for line in selected)
    if limit is not None:
        backlog = backlog[:limit]
    if not follow or previous or (limit is not None and len(backlog) >= limit):
        return SandboxResponse(200, list(_TEXT), backlog)
    live = book.follow(namespace, name, container)
    stream = ClosingStream(_follow(live, timestamps, limit, len(backlog)), live.close)
    return SandboxResponse(200, list(_TEXT), backlog, stream)


async def _follow(
    live: MemoryObjectReceiveStream[LogLine], timestamps: bool, limit: int | None, sent: int
) -> AsyncGenerator[bytes, None]:
    async for line in live:
        chunk = _render(line, timestamps)
        if limit is not None:
            chunk = chunk[: limit - sent]
        sent += len(chunk)
        yield chunk
        if limit is not None and sent >= limit:
            return

