"""The YAML editor's server side: apply, ownership metadata, editable YAML and delete.

Every call is made as the caller (``as_``), so the cluster's RBAC decides. An apply
is a server-side apply as the field manager ``periscope``: creating and updating are
the same call, a dry run goes through admission without persisting, and a conflict
with another manager comes back as ApplyConflict naming each field's owner.
"""

from __future__ import annotations

from typing import Any

import msgspec

from periscope_core.domain.editing import (
    ApplyConflict,
    ApplyResult,
    ObjectRef,
    check_identity,
    diff,
    parse_manifest,
    strip_server_fields,
)
from periscope_core.domain.errors import Conflict, NotFound
from periscope_core.domain.identity import BRIDGE, Impersonation
from periscope_core.domain.managers import ManagedFields, managed_fields, ownership_warnings
from periscope_core.services.browse import clean_object, to_yaml
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.kube import KubeClient

__all__ = ["FIELD_MANAGER", "EditingService", "ObjectMeta", "ObjectYaml", "changes_and_warnings"]

FIELD_MANAGER = "periscope"


class ObjectMeta(msgspec.Struct, frozen=True, rename="camel"):
    """What the editor needs to draw ownership and notice drift."""

    resource_version: str
    generation: int
    managed_fields: list[ManagedFields]


class ObjectYaml(msgspec.Struct, frozen=True):
    """The editable YAML; ``secret_keys`` lists the revealed keys when the object is a Secret."""

    text: str
    secret_keys: list[str] | None = None


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    # clean_object hides Secret values, so a diff shows which keys changed, never their values.
    return strip_server_fields(clean_object(obj))


def changes_and_warnings(live: dict[str, Any] | None, result: dict[str, Any]) -> ApplyResult:
    """The diff from ``live`` to ``result`` and the GitOps/Helm warnings for it (``dry_run`` unset)."""
    changes = diff(_comparable(live) if live else {}, _comparable(result))
    owners = managed_fields(live) if live else []
    warnings = ownership_warnings(owners, [c.path for c in changes])
    return ApplyResult(object=clean_object(result), dry_run=False, diff=changes, warnings=warnings)


async def _get_or_none(client: KubeClient, ref: ObjectRef, as_: Impersonation) -> dict[str, Any] | None:
    try:
        return await client.get(ref.gvr, ref.name, namespace=ref.namespace, as_=as_)
    except NotFound:
        return None


class EditingService:
    """Apply, meta, YAML and delete for any resource of any registered cluster."""

    def __init__(self, directory: ClusterDirectory) -> None:
        self._directory = directory

    async def apply(
        self,
        cluster: str,
        ref: ObjectRef,
        manifest: bytes,
        *,
        dry_run: bool = False,
        force: bool = False,
        as_: Impersonation = BRIDGE,
    ) -> ApplyResult:
        """Server-side apply ``manifest`` to the object ``ref`` names (creating it if missing).

        Raises ManifestTooLarge, InvalidRequest (not one YAML mapping),
        IdentityMismatch, ApplyConflict (409, per-field owners) and the apiserver's
        other errors (Forbidden, Invalid, ...).
        """
        config = strip_server_fields(check_identity(parse_manifest(manifest), ref))
        client = await self._directory.client(cluster)
        live = await _get_or_none(client, ref, as_)
        try:
            result = await client.patch(
                ref.gvr, ref.name, config, patch_type="apply", namespace=ref.namespace,
                field_manager=FIELD_MANAGER, force=force, dry_run=dry_run, as_=as_,
            )  # fmt: skip
        except Conflict as exc:
            if exc.status.details is None or not exc.status.details.causes:
                raise
            raise ApplyConflict(exc.status) from exc
        return msgspec.structs.replace(changes_and_warnings(live, result), dry_run=dry_run)

    async def meta(self, cluster: str, ref: ObjectRef, *, as_: Impersonation = BRIDGE) -> ObjectMeta:
        """resourceVersion, generation and the classified managedFields of the live object."""
        client = await self._directory.client(cluster)
        obj = await client.get(ref.gvr, ref.name, namespace=ref.namespace, as_=as_)
        meta = obj.get("metadata") or {}
        return ObjectMeta(
            resource_version=str(meta.get("resourceVersion") or ""),
            generation=int(meta.get("generation") or 0),
            managed_fields=managed_fields(obj),
        )

    async def yaml(self, cluster: str, ref: ObjectRef, *, as_: Impersonation = BRIDGE) -> ObjectYaml:
        """The live object as YAML without managedFields; a Secret keeps its values (to edit them)."""
        client = await self._directory.client(cluster)
        obj = await client.get(ref.gvr, ref.name, namespace=ref.namespace, as_=as_)
        meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
        text = to_yaml({**obj, "metadata": meta})
        keys = sorted({**(obj.get("data") or {}), **(obj.get("stringData") or {})}) if ref.is_secret else None
        return ObjectYaml(text=text, secret_keys=keys)

    async def delete(self, cluster: str, ref: ObjectRef, *, as_: Impersonation = BRIDGE) -> None:
        """Delete with background propagation; a missing object raises NotFound."""
        client = await self._directory.client(cluster)
        await client.delete(ref.gvr, ref.name, namespace=ref.namespace, propagation="Background", as_=as_)
