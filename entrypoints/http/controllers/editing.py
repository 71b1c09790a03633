"""The YAML editor: server-side apply, delete, ownership metadata, editable YAML, OpenAPI schemas.

Objects are addressed by API group (``core`` for the core group), version and
resource, namespaced (``.../{namespace}/{name}``) or cluster-scoped (``.../{name}``).
Litestar does not backtrack between routes, so a cluster-scoped ``.../{name}/meta``
and a namespaced ``.../{namespace}/{name}`` share one route shape: the GET on it
serves the cluster-scoped views, PATCH and DELETE the namespaced object.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from periscope_core.domain.audit import Actor, ImpersonatedAs, ResourceRef, Verb
from periscope_core.domain.editing import MAX_MANIFEST_BYTES, ApplyResult, ManifestTooLarge, ObjectRef
from periscope_core.services.audit import PendingAction
from periscope_core.services.editing import ObjectMeta
from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.controllers.resources import YAML
from periscope_entrypoints.http.deps import Caller
from periscope_entrypoints.http.middleware import request_id
from periscope_entrypoints.http.params import CallerDep, PathStr, ServicesDep

__all__ = ["NO_STORE", "EditingController", "OpenApiController", "audited"]

NO_STORE = {"Cache-Control": "no-store"}
_BASE = "/api/clusters/{cluster:str}/resources/{group:str}/{version:str}/{resource:str}"

DryRun = Annotated[bool, QueryParameter(name="dryRun", description="Validate and admit, but persist nothing.")]
Force = Annotated[bool, QueryParameter(description="Take over fields other managers own.")]
AnyRequest = Request[Any, Any, Any]


def audited(
    services: Services,
    caller: Caller,
    request: AnyRequest,
    *,
    verb: Verb,
    cluster: str,
    resource: ResourceRef,
    extra: dict[str, Any] | None = None,
    read: bool = False,
) -> AbstractContextManager[PendingAction]:
    """Audit the enclosed action as ``caller``; a change is refused (503) up front while audit cannot
    record, a ``read`` goes ahead (its row waits in the queue like any other)."""
    if not read:
        services.audit.ensure_accepting()
    return services.audit.action(
        verb=verb,
        actor=Actor.of(caller.principal),
        request_id=request_id(request.scope),
        route=_route(request),
        impersonated=ImpersonatedAs.of(caller.as_),
        cluster=cluster,
        resource=resource,
        extra=extra,
    )


def _route(request: AnyRequest) -> str:
    # The operation id: Litestar's path template names whichever route first claimed
    # the shape, which for the shared shapes here is not the one that ran.
    operation = request.route_handler.operation_id
    return operation if isinstance(operation, str) else ""


def _resource(ref: ObjectRef) -> ResourceRef:
    return ResourceRef.of(ref.gvr, namespace=ref.namespace or "", name=ref.name)


async def _manifest(request: AnyRequest) -> bytes:
    """The body, read no further than the manifest limit."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_MANIFEST_BYTES:
            raise ManifestTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class _Editor:
    """One request against one object: the calls, audited as the caller."""

    def __init__(self, services: Services, caller: Caller, request: AnyRequest, cluster: str, ref: ObjectRef) -> None:
        self.services, self.caller, self.request, self.cluster, self.ref = services, caller, request, cluster, ref

    async def apply(self, dry_run: bool, force: bool) -> ApplyResult:
        extra = {"dryRun": dry_run, "force": force}
        with audited(self.services, self.caller, self.request, verb="apply", cluster=self.cluster,
                     resource=_resource(self.ref), extra=extra):
            manifest = await _manifest(self.request)
            return await self.services.editing.apply(
                self.cluster, self.ref, manifest, dry_run=dry_run, force=force, as_=self.caller.as_
            )

    async def delete(self) -> None:
        with audited(self.services, self.caller, self.request, verb="delete", cluster=self.cluster,
                     resource=_resource(self.ref)):
            await self.services.editing.delete(self.cluster, self.ref, as_=self.caller.as_)

    async def view(self, view: str) -> Response[Any]:
        if view == "meta":
            meta: ObjectMeta = await self.services.editing.meta(self.cluster, self.ref, as_=self.caller.as_)
            return Response(meta)
        if view != "yaml":
            raise NotFoundException(f"no route for GET {self.request.url.path}")
        if not self.ref.is_secret:
            text = await self.services.editing.yaml(self.cluster, self.ref, as_=self.caller.as_)
            return Response(text.text, media_type=YAML)
        # The editor's YAML of a Secret carries its values, so reading it is a reveal.
        with audited(self.services, self.caller, self.request, verb="secret_reveal", cluster=self.cluster,
                     resource=_resource(self.ref), extra={"via": "yaml"}) as pending:
            text = await self.services.editing.yaml(self.cluster, self.ref, as_=self.caller.as_)
            keys = text.secret_keys or []
            pending.extra.update(keys=keys, key_count=len(keys))
        return Response(text.text, media_type=YAML, headers=NO_STORE)


class EditingController(Controller):
    path = _BASE
    tags = ["editing"]

    @patch("/{name:str}", operation_id="applyClusterResource", status_code=200)
    async def apply_cluster_resource(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, group: PathStr,
        version: PathStr, resource: PathStr, name: PathStr, dry_run: DryRun = False, force: Force = False,
    ) -> ApplyResult:
        """Server-side apply a YAML manifest to a cluster-scoped object (created if missing).

        Args:
            services: The application services.
            caller: Who is asking; the apply is made as them, field manager ``periscope``.
            request: The request; its body is the manifest (YAML or JSON, at most 256 KiB).
            cluster: Registry name of the cluster.
            group: API group; ``core`` for the core group.
            version: API version.
            resource: Resource plural, e.g. ``nodes``.
            name: The object's name.
            dry_run: Validate and admit, but persist nothing.
            force: Take over fields other managers own.

        Returns:
            ``{object, dryRun, diff, warnings}``; a conflict is 409 with ``status`` and ``conflicts``.
        """
        ref = ObjectRef.of(group, version, resource, name)
        return await _Editor(services, caller, request, cluster, ref).apply(dry_run, force)

    @patch("/{namespace:str}/{name:str}", operation_id="applyResource", status_code=200)
    async def apply_resource(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, group: PathStr,
        version: PathStr, resource: PathStr, namespace: PathStr, name: PathStr, dry_run: DryRun = False,
        force: Force = False,
    ) -> ApplyResult:
        """Server-side apply a YAML manifest to a namespaced object (created if missing).

        Args:
            services: The application services.
            caller: Who is asking; the apply is made as them, field manager ``periscope``.
            request: The request; its body is the manifest (YAML or JSON, at most 256 KiB).
            cluster: Registry name of the cluster.
            group: API group; ``core`` for the core group.
            version: API version.
            resource: Resource plural, e.g. ``deployments``.
            namespace: The object's namespace.
            name: The object's name.
            dry_run: Validate and admit, but persist nothing.
            force: Take over fields other managers own.

        Returns:
            ``{object, dryRun, diff, warnings}``; a conflict is 409 with ``status`` and ``conflicts``.
        """
        ref = ObjectRef.of(group, version, resource, name, namespace)
        return await _Editor(services, caller, request, cluster, ref).apply(dry_run, force)

    @delete("/{name:str}", operation_id="deleteClusterResource", status_code=HTTP_204_NO_CONTENT)
    async def delete_cluster_resource(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, group: PathStr,
        version: PathStr, resource: PathStr, name: PathStr,
    ) -> None:
        """Delete a cluster-scoped object, dependents in the background.

        Args:
            services: The application services.
            caller: Who is asking.
            request: The request.
            cluster: Registry name of the cluster.
            group: API group; ``core`` for the core group.
            version: API version.
            resource: Resource plural.
            name: The object's name.

        Returns:
            Nothing (204); a missing object is 404.
        """
        await _Editor(services, caller, request, cluster, ObjectRef.of(group, version, resource, name)).delete()

    @delete("/{namespace:str}/{name:str}", operation_id="deleteResource", status_code=HTTP_204_NO_CONTENT)
    async def delete_resource(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, group: PathStr,
        version: PathStr, resource: PathStr, namespace: PathStr, name: PathStr,
    ) -> None:
        """Delete a namespaced object, dependents in the background.

        Args:
            services: The application services.
            caller: Who is asking.
            request: The request.
            cluster: Registry name of the cluster.
            group: API group; ``core`` for the core group.
            version: API version.
            resource: Resource plural.
            namespace: The object's namespace.
            name: The object's name.

        Returns:
            Nothing (204); a missing object is 404.
        """
        ref = ObjectRef.of(group, version, resource, name, namespace)
        await _Editor(services, caller, request, cluster, ref).delete()

    @get("/{name:str}/{view:str}", operation_id="getClusterResourceView")
    async def get_cluster_resource_view(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, group: PathStr,
        version: PathStr, resource: PathStr, name: PathStr, view: PathStr,
    ) -> Response[Any]:
        """A cluster-scoped object's ownership metadata (``meta``) or editable YAML (``yaml``).

        Args:
            services: The application services.
            caller: Who is asking.
            request: The request.
            cluster: Registry name of the cluster.
            group: API group; ``core`` for the core group.
            version: API version.
            resource: Resource plural.
            name: The object's name.
            view: ``meta`` or ``yaml``.

        Returns:
            ``{resourceVersion, generation, managedFields}`` or ``application/yaml`` without managedFields.
        """
        ref = ObjectRef.of(group, version, resource, name)
        return await _Editor(services, caller, request, cluster, ref).view(view)

    @get("/{namespace:str}/{name:str}/meta", operation_id="getResourceMeta")
    async def get_resource_meta(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, group: PathStr,
        version: PathStr, resource: PathStr, namespace: PathStr, name: PathStr,
    ) -> Response[Any]:
        """A namespaced object's ownership metadata, for the editor's gutter and drift checks.

        Each managedFields entry is classified (gitops, helm, controller, human,
        periscope, unknown) and lists the field paths it owns.

        Args:
            services: The application services.
            caller: Who is asking.
            request: The request.
            cluster: Registry name of the cluster.
            group: API group; ``core`` for the core group.
            version: API version.
            resource: Resource plural.
            namespace: The object's namespace.
            name: The object's name.

        Returns:
            ``{resourceVersion, generation, managedFields: [{manager, operation, class, fields, ...}]}``.
        """
        ref = ObjectRef.of(group, version, resource, name, namespace)
        return await _Editor(services, caller, request, cluster, ref).view("meta")

    @get("/{namespace:str}/{name:str}/yaml", operation_id="getResourceEditYaml", media_type=YAML)
    async def get_resource_yaml(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, group: PathStr,
        version: PathStr, resource: PathStr, namespace: PathStr, name: PathStr,
    ) -> Response[Any]:
        """A namespaced object as editable YAML, without managedFields.

        A Secret's YAML keeps its values (so it can be edited) and is audited as a reveal.

        Args:
            services: The application services.
            caller: Who is asking.
            request: The request.
            cluster: Registry name of the cluster.
            group: API group; ``core`` for the core group.
            version: API version.
            resource: Resource plural.
            namespace: The object's namespace.
            name: The object's name.

        Returns:
            ``application/yaml``.
        """
        ref = ObjectRef.of(group, version, resource, name, namespace)
        return await _Editor(services, caller, request, cluster, ref).view("yaml")


class OpenApiController(Controller):
    path = "/api/clusters/{cluster:str}/openapi/v3"
    tags = ["editing"]

    @get("/", operation_id="getOpenApiV3Index")
    async def get_openapi_index(self, services: ServicesDep, caller: CallerDep, cluster: PathStr) -> Response[bytes]:
        """The cluster's OpenAPI v3 index (``paths`` to each group-version document), as the caller sees it.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.

        Returns:
            The apiserver's JSON index, cached per identity for a few minutes.
        """
        return _openapi(await services.openapi.document(cluster, as_=caller.as_))

    @get("/{path:path}", operation_id="getOpenApiV3")
    async def get_openapi(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, path: PathStr
    ) -> Response[bytes]:
        """One OpenAPI v3 document (``api/v1``, ``apis/{group}/{version}``), as the caller sees it.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.
            path: The document's path under ``/openapi/v3``; ``..``, ``?`` and ``#`` are refused.

        Returns:
            The apiserver's JSON document (CRD schemas included), cached per identity for a few minutes.
        """
        return _openapi(await services.openapi.document(cluster, path, as_=caller.as_))


def _openapi(body: bytes) -> Response[bytes]:
    return Response(body, media_type="application/json", headers={"Cache-Control": "private, max-age=300"})
