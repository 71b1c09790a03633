"""The verbs on a resource's own paths: list, get, create, update, patch, delete, deletecollection.

Representations follow the apiserver: list items of built-in kinds carry no kind or
apiVersion (typed lists drop them), a Table or PartialObjectMetadata is returned when
the Accept header asks for one, and a custom resource is shown in the version requested.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._catalog import ResourceType, is_builtin
from ._history import Obj, Predicate
from ._routes import is_true
from ._selectors import SelectorError, parse_label_selector
from ._status import Cause, bad_request, invalid, method_not_allowed, success
from ._tables import to_table
from ._validation import check_metadata, check_type, crd_selectable_fields, field_selector
from ._wire import Call, SandboxResponse, Wanted, decode_object, json_response, media_type, negotiate
from ._writes import check_identity

if TYPE_CHECKING:
    from ._engine import ApiServer

# Resources whose registry answers a finished delete with the object rather than a Status.
_RETURNS_DELETED = frozenset({("", "pods"), ("", "namespaces")})
_PROPAGATION = ("Foreground", "Background", "Orphan")


def present(rt: ResourceType, obj: Obj) -> Obj:
    """A stored object as served through `rt` (custom resources share storage across versions)."""
    return obj if obj.get("apiVersion") == rt.api_version else {**obj, "apiVersion": rt.api_version}


def represent(api: ApiServer, call: Call, wanted: Wanted, obj: Obj) -> Obj:
    """One object in the representation the client asked for."""
    if wanted.form == "Table":
        return table(api, call, wanted, [obj])
    if wanted.form == "PartialObjectMetadata":
        return partial(wanted, obj)
    return present(call.rt, obj)


def partial(wanted: Wanted, obj: Obj) -> Obj:
    return {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{wanted.version}",
            "metadata": obj["metadata"]}


def table(api: ApiServer, call: Call, wanted: Wanted, objects: list[Obj], **meta: str) -> Obj:
    try:
        body = to_table(call.rt, objects, now=api.clock(),
                        include_object=call.params.get("includeObject", ""), **meta)
    except ValueError as exc:
        raise bad_request(str(exc)) from exc
    body["apiVersion"] = f"meta.k8s.io/{wanted.version}"
    return body


def respond(api: ApiServer, call: Call, code: int, obj: Obj) -> SandboxResponse:
    wanted = negotiate(call.request.header("accept"))
    return json_response(code, represent(api, call, wanted, obj), content_type=wanted.content_type)


def selection(api: ApiServer, call: Call) -> Predicate | None:
    """labelSelector and fieldSelector as one predicate; None selects everything."""
    labels_text = call.params.get("labelSelector", "")
    fields_text = call.params.get("fieldSelector", "")
    try:
        labels = parse_label_selector(labels_text) if labels_text else None
    except SelectorError as exc:
        raise bad_request(str(exc)) from exc
    selectable = crd_selectable_fields(api.crd_of(call.rt), call.rt.version)
    fields = field_selector(call.rt, fields_text, selectable) if fields_text else None
    if labels is None and fields is None:
        return None

    def matches(obj: Obj) -> bool:
        if labels is not None and not labels.matches(obj["metadata"].get("labels") or {}):
            return False
        return fields is None or fields.matches(obj)

    return matches


def field_manager(call: Call, *, apply: bool = False) -> str:
    """fieldManager, or what the apiserver derives from the User-Agent (not for apply)."""
    manager = call.params.get("fieldManager", "")
    if manager or apply:
        return manager
    return call.request.header("user-agent").split("/")[0][:128] or "unknown"


def dry_run(call: Call, values: list[str] | None = None) -> bool:
    values = values if values is not None else call.request.param_list("dryRun")
    for value in values:
        if value != "All":
            raise invalid("CreateOptions", "", [Cause("FieldValueNotSupported", "dryRun",
                          f'Unsupported value: "{value}": supported values: "All"')], group="meta.k8s.io")
    return bool(values)


def _limit(call: Call) -> int:
    raw = call.params.get("limit", "")
    try:
        return max(int(raw), 0) if raw else 0
    except ValueError as exc:
        raise bad_request(f'strconv.ParseInt: parsing "{raw}": invalid syntax') from exc


def list_response(api: ApiServer, call: Call) -> SandboxResponse:
    wanted = negotiate(call.request.header("accept"))
    rt = call.rt
    page = api.store.list(
        rt.group, rt.plural, namespace=call.namespace or None, predicate=selection(api, call),
        limit=_limit(call), continue_token=call.params.get("continue", ""),
        resource_version=call.params.get("resourceVersion", ""),
        match=call.params.get("resourceVersionMatch", ""))
    if wanted.form == "Table":
        body = table(api, call, wanted, page.items, resource_version=page.resource_version,
                     continue_token=page.continue_token)
        return json_response(200, body, content_type=wanted.content_type)
    meta: dict[str, Any] = {"resourceVersion": page.resource_version}
    if page.continue_token:
        meta["continue"] = page.continue_token
        if page.remaining is not None:
            meta["remainingItemCount"] = page.remaining
    if wanted.form == "PartialObjectMetadata":
        items = [partial(wanted, obj) for obj in page.items]
        kind, api_version = "PartialObjectMetadataList", f"meta.k8s.io/{wanted.version}"
    elif is_builtin(rt):
        items = [{k: v for k, v in obj.items() if k != "kind" and k != "apiVersion"} for obj in page.items]
        kind, api_version = rt.list_kind, rt.api_version
    else:
        items = [present(rt, obj) for obj in page.items]
        kind, api_version = rt.list_kind, rt.api_version
    body = {"kind": kind, "apiVersion": api_version, "metadata": meta, "items": items}
    return json_response(200, body, content_type=wanted.content_type)


def get_response(api: ApiServer, call: Call) -> SandboxResponse:
    return respond(api, call, 200, api.require(call.rt, call.namespace, call.info.name))


def create_response(api: ApiServer, call: Call) -> SandboxResponse:
    rt = call.rt
    if rt.namespaced and not call.info.namespace:
        raise method_not_allowed()
    body = decode_object(call.request)
    check_type(api.catalog, rt, body)
    meta = check_metadata(body)
    if rt.namespaced:
        if meta.get("namespace") and meta["namespace"] != call.info.namespace:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                              "request")
        meta["namespace"] = call.info.namespace
    obj = api.writer.create(rt, body, manager=field_manager(call), dry_run=dry_run(call))
    return respond(api, call, 201, obj)


def update_response(api: ApiServer, call: Call) -> SandboxResponse:
    rt = call.rt
    body = decode_object(call.request)
    check_type(api.catalog, rt, body)
    check_identity(rt, body, namespace=call.namespace, name=call.info.name)
    if not is_builtin(rt) and not call.info.subresource and not body["metadata"].get("resourceVersion"):
        cause = Cause("FieldValueInvalid", "metadata.resourceVersion",
                      "Invalid value: 0x0: must be specified for an update")
        raise invalid(rt.kind, call.info.name, [cause], group=rt.group)
    obj = api.writer.update(rt, body, manager=field_manager(call), subresource=call.info.subresource,
                            dry_run=dry_run(call))
    return respond(api, call, 200, obj)


def patch_response(api: ApiServer, call: Call) -> SandboxResponse:
    media = media_type(call.request)
    apply = media == "application/apply-patch+yaml"
    obj, created = api.writer.patch(
        call.rt, namespace=call.namespace, name=call.info.name, media=media, body=call.request.body,
        manager=field_manager(call, apply=apply), force=is_true(call.params.get("force")),
        subresource=call.info.subresource, dry_run=dry_run(call))
    return respond(api, call, 201 if created else 200, obj)


class DeleteOptions:
    """DeleteOptions from the body (kubectl sends one) merged with the query parameters."""

    def __init__(self, call: Call) -> None:
        body: dict[str, Any] = decode_object(call.request) if call.request.body.strip() else {}
        params = call.params
        policy = body.get("propagationPolicy") or params.get("propagationPolicy")
        orphan = body.get("orphanDependents", params.get("orphanDependents"))
        if policy is None:
            policy = "Orphan" if orphan is True or is_true(str(orphan)) else "Background"
        if policy not in _PROPAGATION:
            supported = '"Foreground", "Background", "Orphan"'
            cause = Cause("FieldValueNotSupported", "propagationPolicy",
                          f'Unsupported value: "{policy}": supported values: {supported}')
            raise invalid("DeleteOptions", "", [cause], group="meta.k8s.io")
        self.propagation: str = policy
        preconditions = body.get("preconditions") or {}
        self.uid: str | None = preconditions.get("uid")
        self.resource_version: str | None = preconditions.get("resourceVersion")
        self.dry_run = dry_run(call, list(body.get("dryRun") or []) or call.request.param_list("dryRun"))


def delete_response(api: ApiServer, call: Call) -> SandboxResponse:
    rt = call.rt
    options = DeleteOptions(call)
    obj, removed = api.store.delete(
        rt.group, rt.plural, call.namespace, call.info.name, propagation=options.propagation, uid=options.uid,
        resource_version=options.resource_version, dry_run=options.dry_run)
    if removed and (rt.group, rt.plural) not in _RETURNS_DELETED:
        details = {"name": call.info.name, "group": rt.group, "kind": rt.plural,
                   "uid": obj["metadata"]["uid"]}
        if not rt.group:
            del details["group"]
        return json_response(200, success(details=details))
    return respond(api, call, 200, obj)


def delete_collection_response(api: ApiServer, call: Call) -> SandboxResponse:
    rt = call.rt
    if rt.namespaced and not call.info.namespace:
        raise method_not_allowed()
    options = DeleteOptions(call)
    page = api.store.list(rt.group, rt.plural, namespace=call.namespace or None,
                          predicate=selection(api, call))
    deleted: list[Obj] = []
    for obj in page.items:
        meta = obj["metadata"]
        if api.store.get(rt.group, rt.plural, meta.get("namespace", ""), meta["name"]) is None:
            continue  # a cascade earlier in this loop took it already
        last, _ = api.store.delete(rt.group, rt.plural, meta.get("namespace", ""), meta["name"],
                                   propagation=options.propagation, dry_run=options.dry_run)
        deleted.append(present(rt, last))
    body = {"kind": rt.list_kind, "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(api.store.resource_version)}, "items": deleted}
    return json_response(200, body)


def crd_resources(crd: Obj) -> tuple[str, str]:
    """(group, plural) a CustomResourceDefinition serves."""
    spec = crd.get("spec") or {}
    return spec.get("group", ""), (spec.get("names") or {}).get("plural", "")

