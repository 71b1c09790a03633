"""Kubernetes verbs over a cluster transport.

The transport port only moves bytes; this client knows the apiserver's URL scheme,
content types, and how errors, watches, logs and exec channels are encoded. Bodies
are decoded with msgspec (never with a generated client's models, which are two
orders of magnitude slower on large lists).
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal

import msgspec

from periscope_core.domain.errors import api_error, decode_status
from periscope_core.domain.identity import BRIDGE, Impersonation
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.ports.transport import ClusterTransport, KubeRequest
from periscope_core.protocols.lines import LineBuffer
from periscope_core.protocols.watch import StreamEnd, WatchDecoder, WatchEvent
from periscope_core.services.exec_stream import ExecStream
from periscope_core.services.request_context import AUDIT_ID_HEADER, current_request_id

PatchType = Literal["merge", "strategic", "json", "apply"]

_PATCH_CONTENT_TYPES: dict[str, str] = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
    "apply": "application/apply-patch+yaml",
}
_MAX_BODY = 256 << 20


class ApiResource(msgspec.Struct, frozen=True):
    group: str
    version: str
    kind: str
    plural: str
    singular: str = ""
    namespaced: bool = True
    verbs: tuple[str, ...] = ()
    short_names: tuple[str, ...] = ()


class ObjectList(msgspec.Struct):
    items: list[dict[str, Any]]
    resource_version: str = ""
    continue_token: str = ""
    remaining: int | None = None


class _ListMeta(msgspec.Struct):
    resourceVersion: str = ""
    # "continue" is a Python keyword, hence the rename.
    continue_: str = msgspec.field(default="", name="continue")
    remainingItemCount: int | None = None


class _List(msgspec.Struct):
    items: list[dict[str, Any]] | None = None
    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)


class _WireResource(msgspec.Struct):
    name: str
    kind: str = ""
    namespaced: bool = False
    singularName: str = ""
    verbs: list[str] = []
    shortNames: list[str] = []
    group: str = ""
    version: str = ""


class _ResourceList(msgspec.Struct):
    groupVersion: str = ""
    resources: list[_WireResource] = []


class _GroupVersion(msgspec.Struct):
    groupVersion: str
    version: str


class _Group(msgspec.Struct):
    name: str
    versions: list[_GroupVersion] = []
    preferredVersion: _GroupVersion | None = None


class _GroupList(msgspec.Struct):
    groups: list[_Group] = []


class _CoreVersions(msgspec.Struct):
    versions: list[str] = []


_list_decoder = msgspec.json.Decoder(_List)
_dict_decoder = msgspec.json.Decoder(dict[str, Any])


def _json(body: object) -> bytes:
    return msgspec.json.encode(body)


class KubeClient:
    """Typed-enough Kubernetes verbs for one cluster; every call names whom it is made as."""

    def __init__(self, transport: ClusterTransport, *, cluster: str, request_timeout: float = 30.0) -> None:
        self.transport = transport
        self.cluster = cluster
        self._timeout = request_timeout
        self._discovery: list[ApiResource] | None = None

    async def aclose(self) -> None:
        await self.transport.aclose()

    def _request(
        self,
        method: str,
        path: str,
        *,
        as_: Impersonation,
        query: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
        timeout: float | None = None,
    ) -> KubeRequest:
        headers = [("Accept", accept), *as_.headers()]
        if content_type:
            headers.append(("Content-Type", content_type))
        if request_id := current_request_id():
            headers.append((AUDIT_ID_HEADER, request_id))
        return KubeRequest(
            method=method,
            path=path,
            query=tuple(query),
            headers=tuple(headers),
            body=body,
            timeout=self._timeout if timeout is None else timeout,
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        as_: Impersonation = BRIDGE,
        query: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
        timeout: float | None = None,
    ) -> bytes:
        """Send one request and return its body; an error status raises the matching ApiError."""
        req = self._request(
            method, path, as_=as_, query=query, body=body, content_type=content_type, accept=accept,
            timeout=timeout,
        )
        async with await self.transport.send(req) as resp:
            content = await resp.aread(limit=_MAX_BODY)
            if resp.status >= 400:
                raise api_error(decode_status(content, resp.status))
            return content

    async def _json_request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return _dict_decoder.decode(await self.request(method, path, **kwargs))

    async def version(self) -> dict[str, Any]:
        return await self._json_request("GET", "/version")

    async def discover(self, *, as_: Impersonation = BRIDGE) -> list[ApiResource]:
        """Every served resource (subresources excluded), preferred versions first."""
        if self._discovery is not None and as_.is_bridge:
            return self._discovery
        group_versions: list[tuple[str, str]] = []
        core = msgspec.json.decode(await self.request("GET", "/api", as_=as_), type=_CoreVersions)
        group_versions.extend(("", v) for v in core.versions)
        groups = msgspec.json.decode(await self.request("GET", "/apis", as_=as_), type=_GroupList)
        for api_group in groups.groups:
            preferred = api_group.preferredVersion.version if api_group.preferredVersion else ""
            ordered = sorted(api_group.versions, key=lambda gv: gv.version != preferred)
            group_versions.extend((api_group.name, gv.version) for gv in ordered)
        resources: list[ApiResource] = []
        for group, version in group_versions:
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            listing = msgspec.json.decode(await self.request("GET", path, as_=as_), type=_ResourceList)
            resources.extend(
                ApiResource(
                    group=r.group or group,
                    version=r.version or version,
                    kind=r.kind,
                    plural=r.name,
                    singular=r.singularName,
                    namespaced=r.namespaced,
                    verbs=tuple(r.verbs),
                    short_names=tuple(r.shortNames),
                )
                for r in listing.resources
                if "/" not in r.name
            )
        if as_.is_bridge:
            self._discovery = resources
        return resources

    async def get(
        self, gvr: GroupVersionResource, name: str, *, namespace: str | None = None, as_: Impersonation = BRIDGE
    ) -> dict[str, Any]:
        return await self._json_request("GET", gvr.path(namespace=namespace, name=name), as_=as_)

    async def list_raw(
        self,
        gvr: GroupVersionResource,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        as_: Impersonation = BRIDGE,
    ) -> bytes:
        """The list body as sent, for callers that decode straight into their own Structs."""
        query: list[tuple[str, str]] = []
        for key, value in (
            ("labelSelector", label_selector),
            ("fieldSelector", field_selector),
            ("limit", str(limit) if limit else ""),
            ("continue", continue_token),
            ("resourceVersion", resource_version),
        ):
            if value:
                query.append((key, value))
        return await self.request("GET", gvr.path(namespace=namespace), query=query, as_=as_)

    async def list(
        self,
        gvr: GroupVersionResource,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        as_: Impersonation = BRIDGE,
    ) -> ObjectList:
        raw = await self.list_raw(
            gvr,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            limit=limit,
            continue_token=continue_token,
            resource_version=resource_version,
            as_=as_,
        )
        decoded = _list_decoder.decode(raw)
        return ObjectList(
            items=decoded.items or [],
            resource_version=decoded.metadata.resourceVersion,
            continue_token=decoded.metadata.continue_,
            remaining=decoded.metadata.remainingItemCount,
        )

    async def create(
        self,
        gvr: GroupVersionResource,
        body: dict[str, Any],
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str = "periscope",
        as_: Impersonation = BRIDGE,
    ) -> dict[str, Any]:
        query = [("fieldManager", field_manager)] + ([("dryRun", "All")] if dry_run else [])
        return await self._json_request(
            "POST", gvr.path(namespace=namespace), query=query, body=_json(body),
            content_type="application/json", as_=as_,
        )

    async def patch(
        self,
        gvr: GroupVersionResource,
        name: str,
        patch: dict[str, Any] | builtins.list[Any] | bytes,
        *,
        patch_type: PatchType,
        namespace: str | None = None,
        subresource: str = "",
        field_manager: str = "periscope",
        force: bool = False,
        dry_run: bool = False,
        as_: Impersonation = BRIDGE,
    ) -> dict[str, Any]:
        query = [("fieldManager", field_manager)]
        if force:
            query.append(("force", "true"))
        if dry_run:
            query.append(("dryRun", "All"))
        # YAML is a superset of JSON, so an apply body may be sent as JSON too.
        body = patch if isinstance(patch, bytes) else _json(patch)
        return await self._json_request(
            "PATCH",
            gvr.path(namespace=namespace, name=name, subresource=subresource),
            query=query,
            body=body,
            content_type=_PATCH_CONTENT_TYPES[patch_type],
            as_=as_,
        )

    async def delete(
        self,
        gvr: GroupVersionResource,
        name: str,
        *,
        namespace: str | None = None,
        propagation: str = "Background",
        dry_run: bool = False,
        as_: Impersonation = BRIDGE,
    ) -> dict[str, Any]:
        options: builtins.dict[str, Any] = {
            "kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation,
        }
        if dry_run:
            options["dryRun"] = ["All"]
        return await self._json_request(
            "DELETE", gvr.path(namespace=namespace, name=name), body=_json(options),
            content_type="application/json", as_=as_,
        )

    @asynccontextmanager
    async def watch(
        self,
        gvr: GroupVersionResource,
        *,
        namespace: str | None = None,
        resource_version: str = "",
        label_selector: str = "",
        field_selector: str = "",
        timeout_seconds: int | None = None,
        allow_bookmarks: bool = True,
        as_: Impersonation = BRIDGE,
    ) -> AsyncIterator[AsyncIterator[WatchEvent]]:
        """Open a watch; iterate the yielded stream for events until the server ends it.

        A watch that fails to open raises the matching ApiError (Gone for a 410).
        """
        query = [("watch", "true")]
        for key, value in (
            ("resourceVersion", resource_version),
            ("labelSelector", label_selector),
            ("fieldSelector", field_selector),
            ("timeoutSeconds", "" if timeout_seconds is None else str(timeout_seconds)),
            ("allowWatchBookmarks", "true" if allow_bookmarks else ""),
        ):
            if value:
                query.append((key, value))
        req = self._request("GET", gvr.path(namespace=namespace), as_=as_, query=query)
        resp = await self.transport.send(req)
        try:
            if resp.status >= 400:
                raise api_error(decode_status(await resp.aread(limit=1 << 20), resp.status))
            yield _watch_events(resp.aiter_bytes(), WatchDecoder(resource_version=resource_version))
        finally:
            await resp.aclose()

    @asynccontextmanager
    async def logs(
        self,
        namespace: str,
        pod: str,
        *,
        container: str = "",
        follow: bool = False,
        previous: bool = False,
        tail_lines: int | None = None,
        since_seconds: int | None = None,
        timestamps: bool = False,
        limit_bytes: int | None = None,
        as_: Impersonation = BRIDGE,
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """Open a pod's log; iterate the yielded stream for lines (without the newline)."""
        query: list[tuple[str, str]] = []
        for key, value in (
            ("container", container),
            ("follow", "true" if follow else ""),
            ("previous", "true" if previous else ""),
            ("tailLines", "" if tail_lines is None else str(tail_lines)),
            ("sinceSeconds", "" if since_seconds is None else str(since_seconds)),
            ("timestamps", "true" if timestamps else ""),
            ("limitBytes", "" if limit_bytes is None else str(limit_bytes)),
        ):
            if value:
                query.append((key, value))
        path = GroupVersionResource("", "v1", "pods").path(namespace=namespace, name=pod, subresource="log")
        resp = await self.transport.send(self._request("GET", path, as_=as_, query=query, accept="*/*"))
        try:
            if resp.status >= 400:
                raise api_error(decode_status(await resp.aread(limit=1 << 20), resp.status))
            yield _lines(resp.aiter_bytes())
        finally:
            await resp.aclose()

    async def exec(
        self,
        namespace: str,
        pod: str,
        *,
        command: Sequence[str],
        container: str = "",
        stdin: bool = False,
        stdout: bool = True,
        stderr: bool = True,
        tty: bool = False,
        as_: Impersonation = BRIDGE,
        subprotocols: Sequence[str] = ExecStream.SUBPROTOCOLS,
    ) -> ExecStream:
        """Start a command in a container; the stream speaks the negotiated channel protocol.

        ``subprotocols`` is the offer, most preferred first (a caller may pin v4 alone).
        """
        query = [("command", part) for part in command]
        if container:
            query.append(("container", container))
        for key, flag in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr), ("tty", tty)):
            if flag:
                query.append((key, "true"))
        path = GroupVersionResource("", "v1", "pods").path(namespace=namespace, name=pod, subresource="exec")
        socket = await self.transport.websocket(
            self._request("GET", path, as_=as_, query=query), subprotocols
        )
        return ExecStream(socket)


async def _watch_events(chunks: AsyncIterator[bytes], decoder: WatchDecoder) -> AsyncIterator[WatchEvent]:
    async for chunk in chunks:
        decoder.receive_data(chunk)
        while (event := decoder.next_event()) is not None:
            yield event
    decoder.receive_data(b"")
    while (event := decoder.next_event()) is not None:
        if not isinstance(event, StreamEnd):
            yield event


async def _lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    buffer = LineBuffer(max_line_bytes=1 << 20)
    async for chunk in chunks:
        buffer.receive_data(chunk)
        while (line := buffer.next_line()) is not None:
            yield line
    last = buffer.close()
    if last:
        yield last
