"""Create, update, patch and apply: the apiserver's write path in front of the store.

What happens here and not in the store: defaulting (namespaces, CRD status), name and
namespace checks, `generateName`, the status subresource split (writes to the main
resource keep the stored status, writes to `/status` keep everything else), managedFields
for every manager-attributed write, and the four PATCH formats.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

import msgspec

from ._apply import ApplyConflict, conflict_status, record_update, server_side_apply
from ._catalog import Catalog, ResourceType, is_builtin
from ._patch import PatchError, json_merge_patch, json_patch, strategic_merge_patch
from ._status import (
    ApiError,
    Cause,
    bad_request,
    forbidden,
    invalid,
    not_found,
    status,
    unsupported_media_type,
)
from ._store import Store
from ._validation import check_metadata, check_name, check_type
from ._wire import decode_yaml

Obj = dict[str, Any]
CRD = ("apiextensions.k8s.io", "customresourcedefinitions")
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}


class Writer:
    """Writes on behalf of API requests and of the in-process object API."""

    def __init__(self, store: Store, catalog: Catalog) -> None:
        self._store = store
        self._catalog = catalog

    def _managed(
        self, rt: ResourceType, old: Obj | None, new: Obj, manager: str | None, subresource: str = ""
    ) -> Obj:
        if manager is None:
            kept = (old or {}).get("metadata", {}).get("managedFields")
            if kept is not None and "managedFields" not in new["metadata"]:
                new["metadata"]["managedFields"] = kept
            return new
        return record_update(old, new, manager=manager, now=self._store.now(), api_version=rt.api_version,
                             subresource=subresource)

    # -- create ----------------------------------------------------------------------------

    def create(
        self,
        rt: ResourceType,
        obj: Obj,
        *,
        manager: str | None = None,
        dry_run: bool = False,
        keep_status: bool = False,
        managed: bool = False,
    ) -> Obj:
        """Creates `obj` (owned by the callee from now on); `managed` means managedFields are set."""
        meta = check_metadata(obj)
        if not rt.namespaced:
            meta.pop("namespace", None)
        elif not meta.get("namespace"):
            raise bad_request("the namespace of the object must be set")
        generate = not meta.get("name") and meta.get("generateName")
        if generate:
            meta["name"] = self._generated_name(rt, meta)
        check_name(rt, obj)
        if rt.namespaced:
            self._check_namespace(rt, meta["namespace"], meta["name"])
        if not keep_status and "status" in rt.subresources:
            obj.pop("status", None)
        self._default(rt, obj)
        if not managed:
            obj = self._managed(rt, None, obj, manager)
        return self._store.create(rt.group, rt.plural, obj, dry_run=dry_run)

    def _generated_name(self, rt: ResourceType, meta: Obj) -> str:
        prefix = str(meta["generateName"])[:58]
        namespace = meta.get("namespace", "")
        for _ in range(8):
            name = prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))
            if self._store.get(rt.group, rt.plural, namespace, name) is None:
                return name
        return name  # the store reports the collision as AlreadyExists, as the apiserver does

    def _check_namespace(self, rt: ResourceType, namespace: str, name: str) -> None:
        ns = self._store.get("", "namespaces", "", namespace)
        if ns is None:
            raise not_found("", "namespaces", namespace)
        if "deletionTimestamp" in ns["metadata"]:
            why = f"unable to create new content in namespace {namespace} because it is being terminated"
            raise forbidden(rt.group, rt.plural, name, why)

    def _default(self, rt: ResourceType, obj: Obj) -> None:
        if (rt.group, rt.plural) == ("", "namespaces"):
            name = obj["metadata"]["name"]
            labels = obj["metadata"].get("labels", {})
            obj["metadata"]["labels"] = {**labels, "kubernetes.io/metadata.name": name}
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Active"}
        elif (rt.group, rt.plural) == ("", "pods") and "status" not in obj:
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
        elif (rt.group, rt.plural) == CRD:
            _validate_crd(obj)
            self._establish(obj)
        elif (rt.group, rt.plural) == ("", "secrets"):
            _fold_string_data(obj)

    def _establish(self, crd: Obj) -> None:
        """Gives a new CRD the status the apiextensions controllers would: served at once."""
        spec = crd.get("spec") or {}
        names = dict(spec.get("names") or {})
        names.setdefault("singular", str(names.get("kind", "")).lower())
        names.setdefault("listKind", f"{names.get('kind', '')}List")
        now = self._store.now()
        conditions = [
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now, "reason": "NoConflicts",
             "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": now,
             "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
        ]
        stored = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
        crd["status"] = {"acceptedNames": names, "conditions": conditions, "storedVersions": stored}

    # -- update ----------------------------------------------------------------------------

    def update(
        self,
        rt: ResourceType,
        obj: Obj,
        *,
        manager: str | None = None,
        subresource: str = "",
        dry_run: bool = False,
        managed: bool = False,
        whole: bool = False,
    ) -> Obj:
        """Replaces an object; `whole` writes spec and status at once (the object API does)."""
        meta = check_metadata(obj)
        if not rt.namespaced:
            meta.pop("namespace", None)
        current = self._store.get(rt.group, rt.plural, meta.get("namespace", ""), meta.get("name", ""))
        if current is None:
            raise not_found(rt.group, rt.plural, meta.get("name", ""))
        if not whole and "status" in rt.subresources:
            obj = _split_status(current, obj, subresource)
        if (rt.group, rt.plural) == CRD and subresource != "status":
            _validate_crd(obj)
        if (rt.group, rt.plural) == ("", "secrets"):
            _fold_string_data(obj)
        if not managed:
            obj = self._managed(rt, current, obj, manager, subresource)
        return self._store.update(rt.group, rt.plural, obj, dry_run=dry_run)

    # -- patch -----------------------------------------------------------------------------

    def patch(
        self,
        rt: ResourceType,
        *,
        namespace: str,
        name: str,
        media: str,
        body: bytes,
        manager: str,
        force: bool,
        subresource: str = "",
        dry_run: bool = False,
    ) -> tuple[Obj, bool]:
        """Applies a PATCH body; returns the stored object and whether it was created (apply only)."""
        kind = PATCH_TYPES.get(media)
        if kind is None or (kind == "strategic" and not is_builtin(rt)):
            accepted = [m for m, k in PATCH_TYPES.items() if k != "strategic" or is_builtin(rt)]
            raise unsupported_media_type(media, accepted)
        if force and kind != "apply":
            cause = Cause.forbidden("force", "may not be specified for non-apply patch")
            raise invalid("PatchOptions", "", [cause], group="meta.k8s.io")
        current = self._store.get(rt.group, rt.plural, namespace, name)
        if kind == "apply":
            return self._apply(rt, current, namespace=namespace, name=name, body=body, manager=manager,
                               force=force, subresource=subresource, dry_run=dry_run)
        if current is None:
            raise not_found(rt.group, rt.plural, name)
        document = decode_patch(body)
        try:
            if kind == "json":
                patched = json_patch(current, document)
            elif kind == "merge":
                patched = json_merge_patch(current, document)
            else:
                patched = strategic_merge_patch(current, document)
        except PatchError as exc:
            raise ApiError(status(exc.status_code, str(exc))) from exc
        if not isinstance(patched, dict):
            raise bad_request("the patch did not produce an object")
        check_identity(rt, patched, namespace=namespace, name=name)
        return self.update(rt, patched, manager=manager, subresource=subresource, dry_run=dry_run), False

    def _apply(
        self,
        rt: ResourceType,
        current: Obj | None,
        *,
        namespace: str,
        name: str,
        body: bytes,
        manager: str,
        force: bool,
        subresource: str,
        dry_run: bool,
    ) -> tuple[Obj, bool]:
        if not manager:
            raise invalid("PatchOptions", "", [Cause.required("fieldManager", "is required for apply patch")],
                          group="meta.k8s.io")
        applied = decode_yaml(body)
        if not isinstance(applied, dict):
            raise bad_request("error decoding YAML: the applied configuration must be an object")
        for field in ("apiVersion", "kind"):
            if not applied.get(field):
                raise bad_request(f"invalid object type: {field} is required for apply patch")
        check_type(self._catalog, rt, applied)
        meta = check_metadata(applied)
        meta.setdefault("name", name)
        if rt.namespaced:
            meta.setdefault("namespace", namespace)
        check_identity(rt, applied, namespace=namespace, name=name)
        try:
            result = server_side_apply(current, applied, manager=manager, force=force, now=self._store.now(),
                                       api_version=rt.api_version)
        except ApplyConflict as exc:
            raise ApiError(conflict_status(exc.conflicts)) from exc
        if current is None:
            return self.create(rt, result, dry_run=dry_run, managed=True), True
        # A resourceVersion in the applied configuration is a precondition; otherwise none.
        precondition = meta.get("resourceVersion") or current["metadata"]["resourceVersion"]
        result["metadata"]["resourceVersion"] = precondition
        return self.update(rt, result, subresource=subresource, dry_run=dry_run, managed=True), False


def _fold_string_data(secret: Obj) -> None:
    """``stringData`` is write-only: the apiserver merges it into ``data`` (base64), winning on clashes."""
    string_data = secret.pop("stringData", None)
    if string_data:
        encoded = {k: base64.b64encode(str(v).encode()).decode() for k, v in string_data.items()}
        secret["data"] = {**(secret.get("data") or {}), **encoded}


def _validate_crd(crd: Obj) -> None:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    expected = f"{names.get('plural', '')}.{spec.get('group', '')}"
    name = crd["metadata"]["name"]
    if name != expected:
        detail = 'must be spec.names.plural+"."+spec.group'
        raise invalid("CustomResourceDefinition", name, [Cause.invalid("metadata.name", name, detail)],
                      group=CRD[0])
    try:
        Catalog().add_crd(crd)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise invalid("CustomResourceDefinition", name, [Cause.invalid("spec", "", str(exc))],
                      group=CRD[0]) from exc


def _split_status(current: Obj, obj: Obj, subresource: str) -> Obj:
    """A write to /status changes only status; any other write leaves status as stored."""
    if subresource == "status":
        merged = {**current, "metadata": {**current["metadata"]}}
        precondition = obj["metadata"].get("resourceVersion")
        if precondition:
            merged["metadata"]["resourceVersion"] = precondition
        else:
            merged["metadata"].pop("resourceVersion", None)
        if "status" in obj:
            merged["status"] = obj["status"]
        else:
            merged.pop("status", None)
        return merged
    kept = {k: v for k, v in obj.items() if k != "status"}
    if "status" in current:
        kept["status"] = current["status"]
    return kept


def decode_patch(body: bytes) -> Any:
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise bad_request(f"error decoding patch: {exc}") from exc


def check_identity(rt: ResourceType, obj: Obj, *, namespace: str, name: str) -> None:
    """Body and URL must name the same object (400, as the apiserver's checkName)."""
    meta = check_metadata(obj)
    if meta.get("name", "") != name:
        body_name = meta.get("name", "")
        raise bad_request(f"the name of the object ({body_name}) does not match the name on the URL ({name})")
    if rt.namespaced:
        if not meta.get("namespace"):
            meta["namespace"] = namespace
        elif meta["namespace"] != namespace:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                              "request")
    else:
        meta.pop("namespace", None)

