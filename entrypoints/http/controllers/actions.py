"""Everyday actions on built-in kinds, and revealing one key of a Secret.

The routes are shaped ``/{plural}/{namespace}/{name}/{action}`` (and
``/{plural}/{name}/{action}`` for nodes and other cluster-scoped kinds) rather than
one literal route per kind: Litestar does not backtrack, so a literal
``/cronjobs/...`` route would hide the browse routes for that kind. Each action is
audited (``trigger``, or ``apply`` with the action's name) as the caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from litestar import Controller, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_201_CREATED

from periscope_core.domain.audit import ResourceRef
from periscope_core.domain.editing import ApplyResult
from periscope_core.domain.errors import InvalidRequest
from periscope_core.services.browse import BrowseService
from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.controllers.editing import NO_STORE, AnyRequest, audited
from periscope_entrypoints.http.deps import Caller
from periscope_entrypoints.http.params import CallerDep, PathStr, ServicesDep

__all__ = ["ActionsController"]

T = TypeVar("T")

# Actions that exist for one kind only; the others take any kind the service accepts.
_ONLY = {"suspend": "cronjobs", "resume": "cronjobs", "trigger": "cronjobs", "cordon": "nodes", "uncordon": "nodes"}
_NAMESPACED = ("scale", "restart", "suspend", "resume", "trigger", "labels")
_CLUSTER_SCOPED = ("cordon", "uncordon", "labels")


class ScaleRequest(msgspec.Struct, forbid_unknown_fields=True):
    replicas: int


class LabelsRequest(msgspec.Struct, forbid_unknown_fields=True):
    labels: dict[str, str | None]
    """A value sets the label; null removes it; labels not named are left alone."""


def _decode(raw: bytes, kind: type[T]) -> T:
    try:
        return msgspec.json.decode(raw, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InvalidRequest(f"invalid request body: {exc}") from None


class _Action:
    """One action request on one object, audited as the caller."""

    def __init__(self, services: Services, caller: Caller, request: AnyRequest, cluster: str, plural: str,
                 namespace: str | None, name: str) -> None:
        self.services, self.caller, self.request = services, caller, request
        # Namespaced actions are only routed with a namespace; "" stands for none.
        self.cluster, self.plural, self.namespace, self.name = cluster, plural, namespace or "", name
        spec = BrowseService.kind(plural)
        self.resource = ResourceRef.of(spec.gvr, namespace=namespace or "", name=name)

    def allow(self, action: str, allowed: tuple[str, ...]) -> None:
        """404 unless ``action`` exists for this kind and URL shape."""
        if action not in allowed or _ONLY.get(action, self.plural) != self.plural:
            raise NotFoundException(f"no action {action!r} for {self.plural}")

    async def run(self, action: str) -> Response[Any]:
        if action == "trigger":
            return await self._trigger()
        handlers: dict[str, Callable[[], Awaitable[ApplyResult]]] = {
            "scale": self._scale, "restart": self._restart, "labels": self._labels,
            "suspend": lambda: self._suspend(True), "resume": lambda: self._suspend(False),
            "cordon": lambda: self._cordon(True), "uncordon": lambda: self._cordon(False),
        }  # fmt: skip
        extra = {"action": action, "dryRun": False, "force": True}
        with audited(self.services, self.caller, self.request, verb="apply", cluster=self.cluster,
                     resource=self.resource, extra=extra):
            return Response(await handlers[action]())

    async def _trigger(self) -> Response[Any]:
        with audited(self.services, self.caller, self.request, verb="trigger", cluster=self.cluster,
                     resource=self.resource) as pending:
            job = await self.services.actions.trigger(self.cluster, self.namespace, self.name, as_=self.caller.as_)
            pending.extra["jobName"] = job.job_name
        return Response(job, status_code=HTTP_201_CREATED)

    async def _scale(self) -> ApplyResult:
        replicas = _decode(await self.request.body(), ScaleRequest).replicas
        return await self.services.actions.scale(
            self.cluster, self.plural, self.namespace, self.name, replicas, as_=self.caller.as_
        )

    async def _restart(self) -> ApplyResult:
        return await self.services.actions.restart(
            self.cluster, self.plural, self.namespace, self.name, as_=self.caller.as_
        )

    async def _suspend(self, suspended: bool) -> ApplyResult:
        return await self.services.actions.set_suspended(
            self.cluster, self.namespace, self.name, suspended, as_=self.caller.as_
        )

    async def _cordon(self, unschedulable: bool) -> ApplyResult:
        return await self.services.actions.set_unschedulable(
            self.cluster, self.name, unschedulable, as_=self.caller.as_
        )

    async def _labels(self) -> ApplyResult:
        labels = _decode(await self.request.body(), LabelsRequest).labels
        return await self.services.actions.edit_labels(
            self.cluster, self.plural, self.namespace or None, self.name, labels, as_=self.caller.as_
        )


class ActionsController(Controller):
    path = "/api/clusters/{cluster:str}"
    tags = ["actions"]

    @post("/{plural:str}/{namespace:str}/{name:str}/{action:str}", operation_id="runAction", status_code=200)
    async def run_action(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, plural: PathStr,
        namespace: PathStr, name: PathStr, action: PathStr,
    ) -> Response[Any]:
        """Run an action on a namespaced object.

        ``scale`` (body ``{"replicas": n}``, deployments, statefulsets, replicasets),
        ``restart`` (deployments, statefulsets, daemonsets), ``suspend``/``resume`` and
        ``trigger`` (cronjobs), ``labels`` (body ``{"labels": {"k": "v", "gone": null}}``).

        Args:
            services: The application services.
            caller: Who is asking; the write is made as them.
            request: The request (its JSON body for scale and labels).
            cluster: Registry name of the cluster.
            plural: The kind's plural.
            namespace: The object's namespace.
            name: The object's name.
            action: The action's name.

        Returns:
            ``{object, dryRun, diff, warnings}``; ``trigger`` answers 201 ``{jobName}``.
        """
        target = _Action(services, caller, request, cluster, plural, namespace, name)
        target.allow(action, _NAMESPACED)
        return await target.run(action)

    @post("/{plural:str}/{name:str}/{action:str}", operation_id="runClusterAction", status_code=200)
    async def run_cluster_action(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, plural: PathStr,
        name: PathStr, action: PathStr,
    ) -> Response[Any]:
        """Run an action on a cluster-scoped object: ``cordon``/``uncordon`` (nodes), ``labels``.

        Args:
            services: The application services.
            caller: Who is asking; the write is made as them.
            request: The request (its JSON body for labels).
            cluster: Registry name of the cluster.
            plural: The kind's plural.
            name: The object's name.
            action: The action's name.

        Returns:
            ``{object, dryRun, diff, warnings}``.
        """
        target = _Action(services, caller, request, cluster, plural, None, name)
        target.allow(action, _CLUSTER_SCOPED)
        return await target.run(action)

    @get("/{plural:str}/{namespace:str}/{name:str}/data/{key:str}", operation_id="revealSecretKey",
         media_type="text/plain")
    async def reveal_secret_key(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, plural: PathStr,
        namespace: PathStr, name: PathStr, key: PathStr,
    ) -> Response[bytes]:
        """One decoded value of a Secret (``/secrets/{namespace}/{name}/data/{key}``), audited.

        Args:
            services: The application services.
            caller: Who is asking (needs ``get secrets``).
            request: The request.
            cluster: Registry name of the cluster.
            plural: ``secrets``.
            namespace: The Secret's namespace.
            name: The Secret's name.
            key: The key under ``data``.

        Returns:
            The value as ``text/plain``, never cached; a missing key is 404.
        """
        if plural != "secrets":
            raise NotFoundException(f"no route for GET {request.url.path}")
        resource = ResourceRef.of(BrowseService.kind(plural).gvr, namespace=namespace, name=name)
        with audited(services, caller, request, verb="secret_reveal", cluster=cluster, resource=resource,
                     extra={"key": key}) as pending:
            value = await services.actions.reveal_secret(cluster, namespace, name, key, as_=caller.as_)
            pending.extra["size"] = len(value)
        return Response(value, media_type="text/plain", headers=NO_STORE)
