"""Built-in kinds: list, detail, YAML, events and the live list under ``/api/clusters/{cluster}/{plural}``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from periscope_core.domain.errors import InvalidRequest
from periscope_core.domain.identity import Impersonation
from periscope_core.services.browse import BrowseService
from periscope_core.services.projections import ListPage
from periscope_entrypoints.http.controllers.watch import watch_kind
from periscope_entrypoints.http.params import (
    CallerDep,
    Continue,
    FieldSelector,
    LabelSelector,
    Limit,
    Namespace,
    PathStr,
    ServicesDep,
)

YAML = "application/yaml"
# Secrets are redacted, but their key names still should not linger in shared caches.
_NO_STORE = {"Cache-Control": "no-store"}


class _Target:
    """One object named by a URL, checked against its kind's scope."""

    def __init__(self, browse: BrowseService, as_: Impersonation, cluster: str, plural: str,
                 namespace: str | None, name: str) -> None:
        if BrowseService.kind(plural).namespaced:
            if namespace is None:
                raise InvalidRequest(f"{plural} are namespaced: use /{plural}/{{namespace}}/{{name}}")
        elif namespace is not None:
            raise InvalidRequest(f"{plural} are cluster-scoped: use /{plural}/{{name}}")
        self.browse, self.as_ = browse, as_
        self.cluster, self.plural, self.namespace, self.name = cluster, plural, namespace, name
        self.headers = _NO_STORE if plural == "secrets" else None

    async def detail(self) -> Response[dict[str, Any]]:
        obj = await self.browse.get_object(
            self.cluster, self.plural, self.name, namespace=self.namespace, as_=self.as_
        )
        return Response(obj, headers=self.headers)

    async def yaml(self) -> Response[str]:
        text = await self.browse.yaml(self.cluster, self.plural, self.name, namespace=self.namespace, as_=self.as_)
        return Response(text, media_type=YAML, headers=self.headers)

    async def events(self) -> ListPage:
        return await self.browse.events_for(
            self.cluster, self.plural, self.name, namespace=self.namespace, as_=self.as_
        )


class ResourcesController(Controller):
    path = "/api/clusters/{cluster:str}"
    tags = ["resources"]

    @get("/{plural:str}", operation_id="listResources")
    async def list_resources(
        self,
        services: ServicesDep,
        caller: CallerDep,
        cluster: PathStr,
        plural: PathStr,
        namespace: Namespace = None,
        limit: Limit = 0,
        continue_token: Continue = "",
        label_selector: LabelSelector = "",
        field_selector: FieldSelector = "",
    ) -> ListPage:
        """List one kind, a page at a time.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.
            plural: The kind's plural (pods, deployments, pvcs...).
            namespace: Only this namespace; all namespaces when absent.
            limit: Page size passed to the apiserver.
            continue_token: Resume after the previous page.
            label_selector: A Kubernetes label selector.
            field_selector: A Kubernetes field selector.

        Returns:
            ``{"items": [...], "continue": ..., "resourceVersion": ...}`` with summary rows.
        """
        return await services.browse.list_kind(
            cluster,
            plural,
            namespace=namespace or None,
            limit=limit,
            continue_token=continue_token,
            label_selector=label_selector,
            field_selector=field_selector,
            as_=caller.as_,
        )

    @get("/{plural:str}/{name:str}", operation_id="getClusterResource")
    async def get_cluster_resource(
        self, services: ServicesDep, caller: CallerDep, request: Request[Any, Any, Any], cluster: PathStr,
        plural: PathStr, name: PathStr, namespace: Namespace = None,
    ) -> Response[Any]:
        """One cluster-scoped object, without managedFields; or, named ``watch``, the kind's live list.

        ``/{plural}/watch`` streams Server-Sent Events: ``snapshot`` (id = the list's
        resourceVersion, the list endpoint's rows), ``added``, ``modified``, ``deleted``,
        ``relist``, ``backpressure``, ``server_shutdown``, ``auth_expired``, ``error``, and a
        ``: ping`` comment while idle. ``Last-Event-ID`` resumes without a snapshot. A kind
        that is not streamed is a 404, the per-user cap a 429.

        Args:
            services: The application services.
            caller: Who is asking.
            request: The request (a watch's ``Last-Event-ID``).
            cluster: Registry name of the cluster.
            plural: A cluster-scoped kind's plural (any streamed kind's, for ``watch``).
            name: The object's name, or ``watch``.
            namespace: For ``watch`` on a namespaced kind: only this namespace.

        Returns:
            The object, or ``text/event-stream``.
        """
        if name == "watch":
            return await watch_kind(services, caller, request, cluster, plural, namespace or None)
        return await _Target(services.browse, caller.as_, cluster, plural, None, name).detail()

    @get("/{plural:str}/{name:str}/yaml", operation_id="getClusterResourceYaml", media_type=YAML)
    async def get_cluster_resource_yaml(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, plural: PathStr, name: PathStr
    ) -> Response[Any]:
        """One cluster-scoped object as YAML.

        The URL also matches ``/{plural}/{namespace}/yaml``: for a namespaced kind
        that is the object named "yaml", so it is served as such.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.
            plural: The kind's plural.
            name: The object's name (or, for a namespaced kind, its namespace).

        Returns:
            ``application/yaml`` without managedFields and the last-applied annotation.
        """
        if BrowseService.kind(plural).namespaced:
            return await _Target(services.browse, caller.as_, cluster, plural, name, "yaml").detail()
        return await _Target(services.browse, caller.as_, cluster, plural, None, name).yaml()

    @get("/{plural:str}/{name:str}/events", operation_id="getClusterResourceEvents")
    async def get_cluster_resource_events(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, plural: PathStr, name: PathStr
    ) -> Any:
        """Events about one cluster-scoped object, newest first.

        As with YAML, a namespaced kind's object named "events" is served instead.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.
            plural: The kind's plural.
            name: The object's name (or, for a namespaced kind, its namespace).

        Returns:
            The list envelope of event rows.
        """
        if BrowseService.kind(plural).namespaced:
            return await _Target(services.browse, caller.as_, cluster, plural, name, "events").detail()
        return await _Target(services.browse, caller.as_, cluster, plural, None, name).events()

    @get("/{plural:str}/{namespace:str}/{name:str}", operation_id="getResource")
    async def get_resource(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, plural: PathStr, namespace: PathStr,
        name: PathStr,
    ) -> Response[dict[str, Any]]:
        """One namespaced object, without managedFields (a Secret without its values).

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.
            plural: A namespaced kind's plural.
            namespace: The object's namespace.
            name: The object's name.

        Returns:
            The object.
        """
        return await _Target(services.browse, caller.as_, cluster, plural, namespace, name).detail()

    @get("/{plural:str}/{namespace:str}/{name:str}/yaml", operation_id="getResourceYaml", media_type=YAML)
    async def get_resource_yaml(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, plural: PathStr, namespace: PathStr,
        name: PathStr,
    ) -> Response[str]:
        """One namespaced object as YAML.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.
            plural: A namespaced kind's plural.
            namespace: The object's namespace.
            name: The object's name.

        Returns:
            ``application/yaml`` without managedFields and the last-applied annotation.
        """
        return await _Target(services.browse, caller.as_, cluster, plural, namespace, name).yaml()

    @get("/{plural:str}/{namespace:str}/{name:str}/events", operation_id="getResourceEvents")
    async def get_resource_events(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, plural: PathStr, namespace: PathStr,
        name: PathStr,
    ) -> ListPage:
        """Events about one namespaced object, newest first.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.
            plural: A namespaced kind's plural.
            namespace: The object's namespace.
            name: The object's name.

        Returns:
            The list envelope of event rows.
        """
        return await _Target(services.browse, caller.as_, cluster, plural, namespace, name).events()
