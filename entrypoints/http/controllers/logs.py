"""Pod and workload logs, streamed as Server-Sent Events or downloaded as plain text.

The path is declared under ``{plural}`` rather than literal kind segments: Litestar
does not backtrack, and a literal ``pods`` branch would hide the browse routes for
pods. Opening a log is audited as ``log_open``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypeVar

from litestar import Controller, MediaType, get
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import Stream

from periscope_core.domain.audit import ResourceRef
from periscope_core.services.browse import BrowseService
from periscope_core.services.logs import WORKLOAD_KINDS, LogOptions, LogStream
from periscope_core.services.sse_feed import SSE_HEADERS, SSE_MEDIA_TYPE
from periscope_entrypoints.http.controllers.editing import AnyRequest, audited
from periscope_entrypoints.http.params import CallerDep, PathStr, ServicesDep
from periscope_entrypoints.http.stream_guard import sse_while_signed_in

__all__ = ["LogsController"]

_log = logging.getLogger("periscope.logs")
T = TypeVar("T", str, bytes)

Container = Annotated[str, QueryParameter(description="The container; the pod's default one when empty.")]
Follow = Annotated[bool, QueryParameter(description="Keep streaming new lines (ignored by a download).")]
Previous = Annotated[bool, QueryParameter(description="The previous (crashed) container's log.")]
TailLines = Annotated[int | None, QueryParameter(name="tailLines", ge=0, description="Only the last n lines.")]
SinceSeconds = Annotated[int | None, QueryParameter(name="sinceSeconds", ge=1, description="Only recent lines.")]
Timestamps = Annotated[bool, QueryParameter(description="Prefix downloaded lines with their time.")]
Grep = Annotated[str, QueryParameter(description="Keep only lines containing this text (a regex with regex=1).")]
Regex = Annotated[bool, QueryParameter(description="Read grep as a regular expression.")]
IgnoreCase = Annotated[bool, QueryParameter(name="ignoreCase", description="Match grep ignoring case.")]
Download = Annotated[bool, QueryParameter(description="Plain text as a file, up to now, instead of a stream.")]


async def _logged(chunks: AsyncIterator[T], stream: LogStream, where: str) -> AsyncIterator[T]:
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        # Stops the session now even when the client left mid-write and ``chunks`` is never resumed.
        stream.close()
        _log.info("log_stream.closed %s reason=%s", where, stream.end_reason)


class LogsController(Controller):
    path = "/api/clusters/{cluster:str}/{plural:str}/{namespace:str}/{name:str}/logs"
    tags = ["logs"]

    # No media_type here: it would override the download's text/plain.
    @get("/", operation_id="getLogs")
    async def logs(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, plural: PathStr,
        namespace: PathStr, name: PathStr, container: Container = "", follow: Follow = True,
        previous: Previous = False, tail_lines: TailLines = None, since_seconds: SinceSeconds = None,
        timestamps: Timestamps = True, grep: Grep = "", regex: Regex = False, ignore_case: IgnoreCase = False,
        download: Download = False,
    ) -> Stream:  # fmt: skip
        """A pod's log, or every pod of a workload merged in time order.

        ``plural`` is ``pods``, ``deployments``, ``statefulsets``, ``daemonsets`` or ``jobs``.
        Events: unnamed lines ``{"t", "l"}`` (plus ``"p"``, the pod, for a workload),
        ``meta`` (the pods being read), ``error`` (with ``pod`` when one pod failed),
        ``done``, ``server_shutdown``, ``auth_expired`` (the caller signed out); a ``: ping`` comment
        while idle.

        Args:
            services: The application services.
            caller: Who is asking; the log is read as them.
            request: The request (for the audit record).
            cluster: Registry name of the cluster.
            plural: The kind's plural.
            namespace: The namespace.
            name: The pod or workload.
            container: The container; the pod's default one when empty.
            follow: Keep streaming new lines.
            previous: The previous container's log.
            tail_lines: Only the last n lines (per pod).
            since_seconds: Only lines from the last n seconds.
            timestamps: Prefix downloaded lines with their time.
            grep: Keep only matching lines.
            regex: Read ``grep`` as a regular expression.
            ignore_case: Match ``grep`` ignoring case.
            download: Plain text as a file instead of a stream.

        Returns:
            ``text/event-stream``, or ``text/plain`` as an attachment for a download.
        """
        if plural != "pods" and plural not in WORKLOAD_KINDS:
            raise NotFoundException(f"{plural} have no logs; pods and their workloads do")
        options = LogOptions(
            container=container, follow=follow, previous=previous, tail_lines=tail_lines,
            since_seconds=since_seconds, timestamps=timestamps, grep=grep, regex=regex, ignore_case=ignore_case,
        )  # fmt: skip
        resource = ResourceRef.of(BrowseService.kind(plural).gvr, namespace=namespace, name=name)
        extra: dict[str, Any] = {"container": container, "previous": previous, "download": download}
        with audited(services, caller, request, verb="log_open", cluster=cluster, resource=resource, extra=extra):
            stream = await services.logs.open(
                cluster, namespace, name, options, kind=plural, download=download, as_=caller.as_
            )
        where = f"cluster={cluster} {plural}={namespace}/{name}"
        if download:
            disposition = f'attachment; filename="{stream.filename}"'
            return Stream(_logged(stream.text(), stream, where), media_type=MediaType.TEXT,
                          headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
        frames = sse_while_signed_in(services, request.scope, stream.frames(), on_expired=stream.expire)
        return Stream(_logged(frames, stream, where), media_type=SSE_MEDIA_TYPE, headers=SSE_HEADERS)
