"""The CRD catalog and custom resources by group, version and plural.

In object URLs ``_`` stands for "no namespace" (a cluster-scoped custom resource),
as in the original product.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get

from periscope_core.services.crds import CustomListPage
from periscope_core.services.projections import ListPage
from periscope_entrypoints.http.controllers.resources import YAML
from periscope_entrypoints.http.params import (
    CallerDep,
    Continue,
    LabelSelector,
    Limit,
    Namespace,
    PathStr,
    ServicesDep,
)
from periscope_entrypoints.http.schemas import CrdsResponse

_CR = "/customresources/{group:str}/{version:str}/{plural:str}"
_OBJECT = _CR + "/{namespace:str}/{name:str}"


def _ns(namespace: str) -> str | None:
    return None if namespace == "_" else namespace


class CustomResourcesController(Controller):
    path = "/api/clusters/{cluster:str}"
    tags = ["customresources"]

    @get("/crds", operation_id="listCrds")
    async def list_crds(self, services: ServicesDep, caller: CallerDep, cluster: PathStr) -> CrdsResponse:
        """The custom resource catalog.

        Args:
            services: The application services.
            caller: Who is asking (needs ``list customresourcedefinitions``).
            cluster: Registry name of the cluster.

        Returns:
            ``{"crds": [...]}``; CRDs serving no version are left out.
        """
        return CrdsResponse(crds=await services.browse.crds(cluster, as_=caller.as_))

    @get(_CR, operation_id="listCustomResources")
    async def list_custom(
        self,
        services: ServicesDep,
        caller: CallerDep,
        cluster: PathStr,
        group: PathStr,
        version: PathStr,
        plural: PathStr,
        namespace: Namespace = None,
        limit: Limit = 0,
        continue_token: Continue = "",
        label_selector: LabelSelector = "",
    ) -> CustomListPage:
        """List custom resources with their printer-column cells.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.
            group: API group, e.g. ``karpenter.sh``.
            version: API version, e.g. ``v1``.
            plural: Resource plural, e.g. ``nodepools``.
            namespace: Only this namespace; all when absent.
            limit: Page size passed to the apiserver.
            continue_token: Resume after the previous page.
            label_selector: A Kubernetes label selector.

        Returns:
            The list envelope plus ``columns`` (priority-0 printer columns) and ``scope``.
        """
        return await services.browse.list_custom(
            cluster,
            group,
            version,
            plural,
            namespace=namespace or None,
            limit=limit,
            continue_token=continue_token,
            label_selector=label_selector,
            as_=caller.as_,
        )

    @get(_OBJECT, operation_id="getCustomResource")
    async def get_custom(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, group: PathStr, version: PathStr,
        plural: PathStr, namespace: PathStr, name: PathStr,
    ) -> dict[str, Any]:
        """One custom resource, without managedFields.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.
            group: API group.
            version: API version.
            plural: Resource plural.
            namespace: The namespace, or ``_`` for a cluster-scoped resource.
            name: The object's name.

        Returns:
            The object.
        """
        return await services.browse.get_custom(
            cluster, group, version, plural, name, namespace=_ns(namespace), as_=caller.as_
        )

    @get(_OBJECT + "/yaml", operation_id="getCustomResourceYaml", media_type=YAML)
    async def get_custom_yaml(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, group: PathStr, version: PathStr,
        plural: PathStr, namespace: PathStr, name: PathStr,
    ) -> Response[str]:
        """One custom resource as YAML.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.
            group: API group.
            version: API version.
            plural: Resource plural.
            namespace: The namespace, or ``_`` for a cluster-scoped resource.
            name: The object's name.

        Returns:
            ``application/yaml`` without managedFields and the last-applied annotation.
        """
        text = await services.browse.custom_yaml(
            cluster, group, version, plural, name, namespace=_ns(namespace), as_=caller.as_
        )
        return Response(text, media_type=YAML)

    @get(_OBJECT + "/events", operation_id="getCustomResourceEvents")
    async def get_custom_events(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, group: PathStr, version: PathStr,
        plural: PathStr, namespace: PathStr, name: PathStr,
    ) -> ListPage:
        """Events about one custom resource, newest first.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: Registry name of the cluster.
            group: API group.
            version: API version.
            plural: Resource plural.
            namespace: The namespace, or ``_`` for a cluster-scoped resource.
            name: The object's name.

        Returns:
            The list envelope of event rows.
        """
        return await services.browse.custom_events(
            cluster, group, version, plural, name, namespace=_ns(namespace), as_=caller.as_
        )
