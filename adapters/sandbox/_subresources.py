"""Subresources: status, scale, log, eviction, binding, finalize, proxy, and the streaming ones.

`status` shares the resource's handlers (the write path keeps the split); `scale` maps
an autoscaling/v1 Scale onto the object through the same replica paths the apiserver
uses (CRDs declare theirs); exec, attach and portforward need a WebSocket upgrade, which
the listener performs after `ApiServer.authorize_exec`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._catalog import ResourceType, subresource
from ._logs import pod_log
from ._patch import PatchError, json_merge_patch, json_patch, strategic_merge_patch
from ._rest import dry_run, field_manager, get_response, patch_response, update_response
from ._selectors import SelectorError, selector_from_spec
from ._status import (
    ApiError,
    Cause,
    bad_request,
    invalid,
    method_not_allowed,
    path_not_found,
    status,
    success,
    unsupported_media_type,
)
from ._store import clone
from ._wire import Call, SandboxResponse, decode_object, json_response, media_type
from ._writes import PATCH_TYPES, decode_patch

if TYPE_CHECKING:
    from ._engine import ApiServer

Obj = dict[str, Any]
_WORKLOAD_SCALE = (".spec.replicas", ".status.replicas", "")


async def subresource_response(api: ApiServer, call: Call) -> SandboxResponse:
    rt, name = call.rt, call.info.subresource
    if name not in rt.subresources:
        raise path_not_found()
    if call.info.verb not in subresource(rt, name).verbs and name != "proxy":
        raise method_not_allowed()
    if name == "status":
        handler = {"get": get_response, "update": update_response, "patch": patch_response}[call.info.verb]
        return handler(api, call)
    if name == "scale":
        return _scale(api, call)
    if name == "log":
        return pod_log(api.logs, api.require(rt, call.namespace, call.info.name), call.params)
    if name == "eviction":
        return _evict(api, call)
    if name == "binding":
        return _bind(api, call)
    if name == "proxy":
        return _proxy(api, call)
    if name == "finalize":
        return _finalize(api, call)
    if name in ("exec", "attach", "portforward"):
        api.require(rt, call.namespace, call.info.name)
        raise bad_request("Upgrade request required")
    raise path_not_found()


# -- scale -----------------------------------------------------------------------------


def _scale_paths(api: ApiServer, rt: ResourceType) -> tuple[str, str, str]:
    """(specReplicasPath, statusReplicasPath, labelSelectorPath); "" selector = from spec.selector."""
    crd = api.crd_of(rt)
    if crd is None:
        return _WORKLOAD_SCALE
    for served in (crd.get("spec") or {}).get("versions") or []:
        if served.get("name") == rt.version:
            scale = (served.get("subresources") or {}).get("scale") or {}
            return (scale.get("specReplicasPath", ".spec.replicas"), scale.get("statusReplicasPath", ""),
                    scale.get("labelSelectorPath", ""))
    return _WORKLOAD_SCALE


def _read(obj: Obj, path: str) -> Any:
    node: Any = obj
    for part in path.lstrip(".").split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _write(obj: Obj, path: str, value: Any) -> None:
    *parents, last = path.lstrip(".").split(".")
    node = obj
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _to_scale(api: ApiServer, rt: ResourceType, obj: Obj) -> Obj:
    spec_path, status_path, selector_path = _scale_paths(api, rt)
    meta = obj["metadata"]
    scale_status: dict[str, Any] = {"replicas": int(_read(obj, status_path) or 0) if status_path else 0}
    if selector_path:
        selector = _read(obj, selector_path)
        if selector:
            scale_status["selector"] = selector
    elif (obj.get("spec") or {}).get("selector"):
        try:
            scale_status["selector"] = str(selector_from_spec(obj["spec"]["selector"]))
        except SelectorError:
            pass
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                     if k in meta},
        "spec": {"replicas": int(_read(obj, spec_path) or 0)},
        "status": scale_status,
    }


def _scale(api: ApiServer, call: Call) -> SandboxResponse:
    rt = call.rt
    current = api.require(rt, call.namespace, call.info.name)
    scale = _to_scale(api, rt, current)
    if call.info.verb == "get":
        return json_response(200, scale)
    wanted = decode_object(call.request) if call.info.verb == "update" else _patched_scale(call, scale)
    replicas = (wanted.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or replicas < 0:
        cause = Cause.invalid("spec.replicas", replicas, "must be greater than or equal to 0")
        raise invalid("Scale", call.info.name, [cause], group="autoscaling")
    updated = clone(current)
    _write(updated, _scale_paths(api, rt)[0], replicas)
    updated["metadata"]["resourceVersion"] = (wanted.get("metadata") or {}).get("resourceVersion") or ""
    stored = api.writer.update(rt, updated, manager=field_manager(call), subresource="scale",
                               dry_run=dry_run(call))
    return json_response(200, _to_scale(api, rt, stored))


def _patched_scale(call: Call, scale: Obj) -> Obj:
    kind = PATCH_TYPES.get(media_type(call.request))
    if kind not in ("json", "merge", "strategic"):
        accepted = [m for m, k in PATCH_TYPES.items() if k != "apply"]
        raise unsupported_media_type(media_type(call.request), accepted)
    document = decode_patch(call.request.body)
    try:
        if kind == "json":
            patched: Obj = json_patch(scale, document)
        elif kind == "merge":
            patched = json_merge_patch(scale, document)
        else:
            patched = strategic_merge_patch(scale, document)
    except PatchError as exc:
        raise ApiError(status(exc.status_code, str(exc))) from exc
    return patched


# -- pods ------------------------------------------------------------------------------


def _evict(api: ApiServer, call: Call) -> SandboxResponse:
    """An Eviction with no disruption budget in the way: the pod is deleted, 201 Success."""
    api.require(call.rt, call.namespace, call.info.name)
    body = decode_object(call.request)
    options = body.get("deleteOptions") or {}
    preconditions = options.get("preconditions") or {}
    api.store.delete("", "pods", call.namespace, call.info.name, uid=preconditions.get("uid"),
                     resource_version=preconditions.get("resourceVersion"),
                     propagation=options.get("propagationPolicy") or "Background",
                     dry_run=dry_run(call, list(options.get("dryRun") or []) or None))
    return json_response(201, {**success(), "code": 201})


def _bind(api: ApiServer, call: Call) -> SandboxResponse:
    """A Binding assigns the pod to a node, once (what the scheduler posts)."""
    pod = api.require(call.rt, call.namespace, call.info.name)
    target = (decode_object(call.request).get("target") or {}).get("name", "")
    if (pod.get("spec") or {}).get("nodeName"):
        raise ApiError(status(409, f"pod {call.info.name} is already assigned to node "
                                   f"\"{pod['spec']['nodeName']}\"", reason="Conflict"))
    updated = clone(pod)
    updated.setdefault("spec", {})["nodeName"] = target
    api.writer.update(call.rt, updated, manager=field_manager(call), whole=True)
    return json_response(201, {**success(), "code": 201})


def _finalize(api: ApiServer, call: Call) -> SandboxResponse:
    """PUT namespaces/<name>/finalize: only spec.finalizers changes (what the namespace controller does)."""
    current = api.require(call.rt, "", call.info.name)
    body = decode_object(call.request)
    updated = clone(current)
    updated.setdefault("spec", {})["finalizers"] = list((body.get("spec") or {}).get("finalizers") or [])
    updated["metadata"]["resourceVersion"] = (body.get("metadata") or {}).get("resourceVersion") or ""
    stored = api.writer.update(call.rt, updated, manager=field_manager(call), subresource="finalize",
                               dry_run=dry_run(call))
    return json_response(200, stored)


def _proxy(api: ApiServer, call: Call) -> SandboxResponse:
    """A registered backend answers (``ApiServer.proxy_backends``); otherwise nothing listens, and the
    answer is the apiserver's when dialing fails. The name may carry a scheme and a port
    (``https:name:port``), as the apiserver's proxy path does."""
    parts = call.info.name.split(":")
    name, port = (parts[1], parts[2]) if len(parts) == 3 else (parts[0], parts[1] if len(parts) == 2 else "")
    obj = api.require(call.rt, call.namespace, name)
    if call.rt.plural == "services":
        handler = api.proxy_backends.get((call.namespace, name, port))
        if handler is not None:
            proxied = call.request.path.partition("/proxy")[2] or "/"
            code, content_type, body = handler(proxied)
            return SandboxResponse(code, [("Content-Type", content_type)], body)
        message = f'no endpoints available for service "{name}"'
    else:
        address = (obj.get("status") or {}).get("podIP") or call.info.name
        message = f"error trying to reach service: dial tcp {address}:80: connect: connection refused"
    return json_response(503, status(503, message))
