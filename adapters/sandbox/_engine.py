"""The sandbox kube-apiserver: one simulated cluster's REST surface over an in-memory store.

`ApiServer.handle` takes a request as the listener (or an in-process transport) received
it and answers as kube-apiserver would: fault hooks first, then impersonation, then RBAC on
every request, then the handler. `authorize_exec` vets an exec/attach upgrade. The object
API (`create_object`, `update_object`, ...) is how the fleet, its controllers and tests
change the cluster directly: no RBAC, but the same versioning and watch events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from ._catalog import Catalog, ResourceType, is_builtin
from ._faults import Faults
from ._history import StoreEvent, WatchStats
from ._impersonation import resolve_impersonation
from ._logs import LogBook
from ._nonresource import nonresource_response
from ._patch import json_merge_patch
from ._rbac import Attributes, Authorizer, UserInfo, forbidden_status
from ._rbac_policy import bootstrap_policy
from ._rbac_reviews import self_subject_access_review, self_subject_review, self_subject_rules_review
from ._rest import (
    create_response,
    delete_collection_response,
    delete_response,
    get_response,
    list_response,
    patch_response,
    update_response,
)
from ._routes import RequestInfo, is_true, parse_request
from ._seed import ProxyHandler
from ._status import ApiError, bad_request, method_not_allowed, not_found, path_not_found, status
from ._store import Store, clone
from ._subresources import subresource_response
from ._validation import check_metadata, check_type
from ._watch import watch_response
from ._wire import (
    Call,
    ExecTarget,
    SandboxRequest,
    SandboxResponse,
    decode_object,
    error_response,
    json_response,
)
from ._writes import CRD, Writer

__all__ = ["ApiServer", "ExecTarget", "SandboxRequest", "SandboxResponse"]

Obj = dict[str, Any]
_log = logging.getLogger(__name__)
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
_REVIEW_GROUPS = frozenset({"authorization.k8s.io", "authentication.k8s.io"})
_HANDLERS = {
    "list": list_response,
    "watch": watch_response,
    "get": get_response,
    "create": create_response,
    "update": update_response,
    "patch": patch_response,
    "delete": delete_response,
    "deletecollection": delete_collection_response,
}


class _RbacView:
    """The authorizer's window on the live RBAC objects."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def list(self, plural: str, namespace: str | None = None) -> list[Obj]:
        return list(self._store.iter_objects("rbac.authorization.k8s.io", plural, namespace))


class ApiServer:
    """One simulated cluster. `clock` drives timestamps and log times (default: UTC now)."""

    def __init__(
        self,
        *,
        name: str,
        clock: Callable[[], datetime] | None = None,
        bookmark_interval: float = 60.0,
        watch_timeout: float = 1800.0,
        history_size: int = 10_000,
        watch_buffer: int = 1_000,
    ) -> None:
        self.name = name
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.bookmark_interval = bookmark_interval
        self.watch_timeout = watch_timeout
        self.catalog = Catalog.builtin()
        self.store = Store(clock=self.clock, history_size=history_size, watch_buffer=watch_buffer)
        self.writer = Writer(self.store, self.catalog)
        self.logs = LogBook(clock=self.clock)
        self.authorizer = Authorizer(_RbacView(self.store))
        self.faults = Faults(drop_watches=self.store.history.close_all, expire_history=self.store.compact)
        self.proxy_backends: dict[tuple[str, str, str], ProxyHandler] = {}
        """(namespace, service, port) -> what answers the service proxy there; nothing listens otherwise."""
        self.store.subscribe(self._on_change)
        for namespace in SYSTEM_NAMESPACES:
            self.create_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        for obj in bootstrap_policy():
            self.create_object(obj)

    # -- HTTP ------------------------------------------------------------------------------

    async def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answers one API request; errors come back as metav1.Status responses."""
        try:
            return await self._handle(request)
        except ApiError as exc:
            return error_response(exc)
        except Exception as exc:  # the apiserver's panic handler: one failed request, not a dead server
            _log.exception("sandbox %s: %s %s failed", self.name, request.method, request.path)
            return error_response(ApiError(status(500, f"Internal error occurred: {exc}")))

    async def intercept(self, request: SandboxRequest) -> SandboxResponse | None:
        """Applies the armed faults to one request (API call or exec upgrade): waits out its delays,
        returns the failure to answer with, if any."""
        target = request.path + ("?" + urlencode(request.query) if request.query else "")
        failure = await self.faults.intercept(target)
        return None if failure is None else error_response(failure)

    async def _handle(self, request: SandboxRequest) -> SandboxResponse:
        if (failed := await self.intercept(request)) is not None:
            return failed
        params = request.params()
        info = parse_request(request.method, request.path, params)
        user = resolve_impersonation(request.user, request.headers, self.authorizer)
        self._authorize(info, user)
        if not info.resource_request:
            return nonresource_response(self.catalog, request)
        call = Call(request=request, info=info, user=user, rt=self._resource(info), params=params)
        if info.subresource:
            return await subresource_response(self, call)
        if call.rt.group in _REVIEW_GROUPS:
            return self._review(call)
        verb = info.verb
        if verb not in call.rt.verbs or (verb == "create" and info.name) or (
                verb in ("update", "patch") and not info.name):
            raise method_not_allowed()
        return _HANDLERS[verb](self, call)

    def _authorize(self, info: RequestInfo, user: UserInfo, verb: str | None = None) -> None:
        attrs = Attributes(user=user, verb=verb or info.verb, group=info.group, resource=info.resource,
                           subresource=info.subresource, namespace=info.namespace, name=info.name,
                           path=info.path, resource_request=info.resource_request)
        decision = self.authorizer.authorize(attrs)
        if not decision.allowed:
            raise ApiError(forbidden_status(attrs, decision.reason))

    def _resource(self, info: RequestInfo) -> ResourceType:
        rt = self.catalog.lookup(info.group, info.version, info.resource)
        if rt is None:
            raise path_not_found()
        if rt.namespaced and info.name and not info.namespace:
            raise path_not_found()
        if not rt.namespaced and info.namespace and rt.plural != "namespaces":
            raise path_not_found()
        return rt

    def _review(self, call: Call) -> SandboxResponse:
        if call.info.verb != "create" or call.info.name:
            raise method_not_allowed()
        body = decode_object(call.request)
        check_type(self.catalog, call.rt, body)
        check_metadata(body)
        match call.rt.plural:
            case "selfsubjectaccessreviews":
                answer = self_subject_access_review(call.user, body, self.authorizer)
            case "selfsubjectrulesreviews":
                answer = self_subject_rules_review(call.user, body, self.authorizer)
            case "selfsubjectreviews":
                answer = self_subject_review(call.user)
            case "subjectaccessreviews":
                spec = body.get("spec") or {}
                subject = UserInfo(name=spec.get("user", ""), groups=tuple(spec.get("groups") or ()),
                                   uid=spec.get("uid", ""),
                                   extra={k: tuple(v) for k, v in (spec.get("extra") or {}).items()})
                answer = {**self_subject_access_review(subject, body, self.authorizer),
                          "kind": "SubjectAccessReview"}
            case _:
                raise method_not_allowed()
        return json_response(201, answer)

    def authorize_exec(self, request: SandboxRequest) -> ExecTarget | SandboxResponse:
        """Vets a pods/exec or pods/attach upgrade: the target to run, or the Status to answer."""
        try:
            return self._exec_target(request)
        except ApiError as exc:
            return error_response(exc)

    def _exec_target(self, request: SandboxRequest) -> ExecTarget:
        params = request.params()
        info = parse_request(request.method, request.path, params)
        if (info.group, info.resource, info.version) != ("", "pods", "v1") or info.subresource not in (
                "exec", "attach") or not info.namespace or not info.name:
            raise path_not_found()
        user = resolve_impersonation(request.user, request.headers, self.authorizer)
        self._authorize(info, user, verb="create")
        pod = self.store.get("", "pods", info.namespace, info.name)
        if pod is None:
            raise not_found("", "pods", info.name)
        container = self._exec_container(pod, params.get("container", ""))
        command = request.param_list("command")
        stdin, stdout, stderr, tty = (is_true(params.get(k)) for k in ("stdin", "stdout", "stderr", "tty"))
        if info.subresource == "exec" and not command:
            raise bad_request("you must specify at least 1 command")
        if not (stdin or stdout or stderr):
            raise bad_request("you must specify at least 1 of stdin, stdout, stderr")
        if not (pod.get("spec") or {}).get("nodeName"):
            raise bad_request(f"pod {info.name} does not have a host assigned")
        return ExecTarget(pod=pod, container=container, command=command, stdin=stdin, stdout=stdout,
                          stderr=stderr, tty=tty, user=user)

    @staticmethod
    def _exec_container(pod: Obj, wanted: str) -> str:
        spec = pod.get("spec") or {}
        names = [c.get("name", "") for key in ("containers", "initContainers", "ephemeralContainers")
                 for c in spec.get(key) or []]
        chosen = wanted or (pod["metadata"].get("annotations") or {}).get(DEFAULT_CONTAINER) or (
            names[0] if names else "")
        if chosen not in names:
            raise bad_request(f"container {chosen} is not valid for pod {pod['metadata']['name']}")
        return chosen

    # -- shared by the handlers ------------------------------------------------------------

    def require(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        obj = self.store.get(rt.group, rt.plural, namespace, name)
        if obj is None:
            raise not_found(rt.group, rt.plural, name)
        return obj

    def crd_of(self, rt: ResourceType) -> Obj | None:
        """The CustomResourceDefinition serving `rt`; None for built-in kinds."""
        if is_builtin(rt):
            return None
        return self.store.get(*CRD, "", f"{rt.plural}.{rt.group}")

    def _on_change(self, event: StoreEvent) -> None:
        if (event.group, event.plural) == ("", "pods") and event.type == "DELETED":
            self.logs.forget(event.namespace, event.name)
        elif (event.group, event.plural) == CRD:
            if event.type == "DELETED":
                self.catalog.remove_crd(event.object)
                spec = event.object.get("spec") or {}
                self.store.purge(spec.get("group", ""), (spec.get("names") or {}).get("plural", ""))
            else:
                self.catalog.add_crd(event.object)

    def watch_stats(self) -> WatchStats:
        """Open watches, and every watch opened so far, per (resource, namespace, user)."""
        return self.store.watch_stats()

    # -- object API (no RBAC; objects returned are shared: clone before changing them) ----

    def _type(self, api_version: str, kind_or_plural: str) -> ResourceType:
        group, _, version = api_version.rpartition("/")
        rt = self.catalog.by_kind(group, version, kind_or_plural) or self.catalog.lookup(
            group, version, kind_or_plural)
        if rt is None:
            raise ApiError(status(404, f"the server doesn't have a resource type {kind_or_plural!r} in "
                                       f"{api_version}"))
        return rt

    def create_object(self, obj: Obj, *, manager: str | None = None) -> Obj:
        """Stores a new object as given (status included); raises ApiError (409 AlreadyExists, ...)."""
        new = clone(obj)
        rt = self._type(new.get("apiVersion", ""), new.get("kind", ""))
        if rt.namespaced:
            check_metadata(new).setdefault("namespace", "default")
        return self.writer.create(rt, new, manager=manager, keep_status=True)

    def get_object(self, api_version: str, kind_or_plural: str, namespace: str, name: str) -> Obj | None:
        rt = self._type(api_version, kind_or_plural)
        return self.store.get(rt.group, rt.plural, namespace if rt.namespaced else "", name)

    def update_object(self, obj: Obj, *, manager: str | None = None) -> Obj:
        """Replaces spec and status at once; a resourceVersion in `obj` is a precondition (409)."""
        new = clone(obj)
        rt = self._type(new.get("apiVersion", ""), new.get("kind", ""))
        return self.writer.update(rt, new, manager=manager, whole=True)

    def patch_status(self, api_version: str, kind_or_plural: str, namespace: str, name: str,
                     status_patch: Obj) -> Obj:
        """Merge-patches `status` (RFC 7386), without a resourceVersion precondition."""
        rt = self._type(api_version, kind_or_plural)
        new = clone(self.require(rt, namespace if rt.namespaced else "", name))
        new["status"] = json_merge_patch(new.get("status") or {}, status_patch)
        new["metadata"].pop("resourceVersion", None)
        return self.writer.update(rt, new, whole=True)

    def delete_object(self, api_version: str, kind_or_plural: str, namespace: str, name: str, *,
                      propagation: str = "Background") -> Obj | None:
        """Deletes (or marks, when finalizers remain); None if there was nothing to delete."""
        rt = self._type(api_version, kind_or_plural)
        if self.store.get(rt.group, rt.plural, namespace if rt.namespaced else "", name) is None:
            return None
        obj, _ = self.store.delete(rt.group, rt.plural, namespace if rt.namespaced else "", name,
                                   propagation=propagation)
        return obj

    def list_objects(self, group: str, plural: str, namespace: str | None = None) -> list[Obj]:
        """Every object of a resource, in key order (all namespaces when `namespace` is None)."""
        return self.store.list(group, plural, namespace=namespace).items

    def add_crd(self, crd: Obj) -> Obj:
        """Registers (or replaces) a CustomResourceDefinition; its resources are served at once."""
        current = self.store.get(*CRD, "", crd["metadata"]["name"])
        if current is None:
            return self.create_object(crd)
        replacement = clone(crd)
        replacement["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        return self.update_object({**replacement, "status": current.get("status", {})})

    def append_log(
        self, namespace: str, pod: str, container: str, line: str, *, at: datetime | None = None
    ) -> None:
        """Adds a line to a container's log; `logs -f` readers see it at once."""
        self.logs.append(namespace, pod, container, line, at=at)

    def rotate_log(self, namespace: str, pod: str, container: str) -> None:
        """The container restarted: what it logged so far is served as `previous`."""
        self.logs.restart(namespace, pod, container)
