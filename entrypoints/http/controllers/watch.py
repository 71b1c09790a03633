"""Live lists over Server-Sent Events, and the streams open right now.

``/api/clusters/{c}/{plural}/watch`` has the shape of a cluster-scoped object's URL
(``/{plural}/{name}``). Litestar does not backtrack, so a literal ``watch`` route would
hide every namespaced URL whose namespace is called ``watch``. The browse route calls
``watch_kind`` when the name is ``watch`` instead. For the same reason custom resources
take any segment after the plural here, and only ``watch`` exists.

A refusal (disabled kind, the per-user cap, the apiserver's 403) is a JSON error
before any byte of the stream; the hub logs why each stream ended.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.response import Stream

from periscope_core.domain.authz import is_audit_admin, stream_identity
from periscope_core.domain.errors import StreamDisabled
from periscope_core.services.sse_feed import SSE_HEADERS, SSE_MEDIA_TYPE
from periscope_core.services.watch_hub import StreamInfo, WatchTarget, custom_target, kind_target
from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.deps import Caller
from periscope_entrypoints.http.params import CallerDep, Namespace, PathStr, ServicesDep
from periscope_entrypoints.http.session_gate import SESSION_OPT
from periscope_entrypoints.http.stream_guard import sse_while_signed_in

__all__ = ["CustomWatchController", "DebugStreamsController", "watch_kind"]

AnyRequest = Request[Any, Any, Any]
_CUSTOM = "customresources"


def _expires_in(caller: Caller) -> float | None:
    """Seconds left in the caller's session (None in dev mode, which has no sessions)."""
    return max(caller.expires_at - time.time(), 0.0) if caller.expires_at else None


async def _stream(services: Services, caller: Caller, request: AnyRequest, target: WatchTarget) -> Stream:
    sub = await services.watch_hub.subscribe(
        target,
        as_=stream_identity(caller.as_, services.identity.config.authorization),
        actor=caller.principal.subject,
        last_event_id=request.headers.get("last-event-id", ""),
        expires_in=_expires_in(caller),
    )
    frames = sse_while_signed_in(services, request.scope, sub.frames(), on_expired=sub.close)
    return Stream(frames, media_type=SSE_MEDIA_TYPE, headers=SSE_HEADERS)


async def watch_kind(
    services: Services, caller: Caller, request: AnyRequest, cluster: str, plural: str, namespace: str | None
) -> Stream:
    """``/{plural}/watch``: a built-in kind's live list, in one namespace or all of them.

    UnknownKind for a plural the console does not know, StreamDisabled (404) for one
    ``PERISCOPE_WATCH_STREAMS`` leaves out.
    """
    target = kind_target(cluster, plural, namespace=namespace)
    if not services.settings.watch_streams.enabled(plural):
        raise StreamDisabled(plural)
    return await _stream(services, caller, request, target)


class CustomWatchController(Controller):
    path = "/api/clusters/{cluster:str}/customresources/{group:str}/{version:str}/{plural:str}"
    tags = ["customresources"]

    @get("/{feed:str}", operation_id="watchCustomResources", media_type=SSE_MEDIA_TYPE)
    async def watch_custom(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, group: PathStr,
        version: PathStr, plural: PathStr, feed: PathStr, namespace: Namespace = None,
    ) -> Stream:  # fmt: skip
        """Custom resources as a live list (``.../{plural}/watch``), rows with printer-column cells.

        Events: ``snapshot`` (id = the list's resourceVersion), ``added``, ``modified``,
        ``deleted``, ``relist``, ``backpressure``, ``server_shutdown``, ``auth_expired``,
        ``error``; a ``: ping`` comment while idle. ``Last-Event-ID`` resumes without a snapshot.

        Args:
            services: The application services.
            caller: Who is asking; the watch runs as them.
            request: The request (its ``Last-Event-ID``).
            cluster: Registry name of the cluster.
            group: API group.
            version: API version.
            plural: Resource plural.
            feed: ``watch``.
            namespace: Only this namespace; all when absent.

        Returns:
            ``text/event-stream``; 404 when custom resources are not streamed, 429 at the per-user cap.
        """
        if feed != "watch":
            raise NotFoundException(f"no route for GET {request.url.path}")
        if not services.settings.watch_streams.custom_resources:
            raise StreamDisabled(_CUSTOM)
        kind = await services.browse.custom_kind(cluster, group, version, plural, as_=caller.as_)
        return await _stream(services, caller, request, custom_target(cluster, kind, namespace=namespace))


class DebugStreamsController(Controller):
    path = "/debug/streams"
    tags = ["watch"]

    @get("/", operation_id="listStreams", opt={SESSION_OPT: "required"})
    async def streams(self, services: ServicesDep, caller: CallerDep) -> Response[list[StreamInfo]]:
        """The live streams open right now: every one for an audit admin, the caller's own otherwise.

        Args:
            services: The application services.
            caller: Who is asking.

        Returns:
            ``[{actor, cluster, kind, namespace, openedAt, sharedWith}]``; ``sharedWith`` counts
            the streams fed by the same upstream watch, this one included.
        """
        admin = is_audit_admin(caller.principal, services.identity.config.authorization)
        streams = services.watch_hub.streams(actor=None if admin else caller.principal.subject)
        return Response(streams, headers={"Cache-Control": "no-store"})
