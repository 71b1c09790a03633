"""Everyday actions, each the smallest write that does the job, made as the caller.

What each action writes, and so the permission the cluster checks (and a UI's
can-i pre-flight should ask for):

    scale            merge patch of spec.replicas on /scale    patch <kind>/scale
    restart          apply template restartedAt annotation     patch <kind>
    cordon/uncordon  apply spec.unschedulable                   patch nodes
    suspend/resume   apply spec.suspend                         patch cronjobs
    trigger          create a Job from the jobTemplate          create jobs (and get cronjobs)
    labels           merge patch of metadata.labels             patch <kind>
    reveal           read one key of a Secret                   get secrets

Apply actions use their own field manager (``periscope-restart``, ...): server-side
apply removes fields a manager applied before and omits now, so sharing the
editor's ``periscope`` manager would make a restart strip every field the last
YAML edit set. They force, as kubectl's imperative commands do, and the object is
read first, so an action on a missing object is a 404 rather than a create.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from periscope_core.domain.editing import ApplyResult, Change, ObjectRef, SecretKeyNotFound
from periscope_core.domain.errors import InvalidRequest
from periscope_core.domain.identity import BRIDGE, Impersonation
from periscope_core.domain.managers import managed_fields, ownership_warnings
from periscope_core.domain.resources import GroupVersionResource, KindSpec, kind_by_plural
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.editing import FIELD_MANAGER, changes_and_warnings
from periscope_core.services.kube import KubeClient

__all__ = ["RESTART_ANNOTATION", "SCALABLE", "ActionsService", "TriggeredJob", "job_name"]

RESTART_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
SCALABLE = ("deployments", "statefulsets", "replicasets")
_RESTARTABLE = ("deployments", "statefulsets", "daemonsets")
_MAX_NAME = 63
_JOBS = GroupVersionResource("batch", "v1", "jobs")


class TriggeredJob(msgspec.Struct, frozen=True, rename="camel"):
    job_name: str


def job_name(cronjob: str, now: datetime) -> str:
    """``<cronjob>-<unix seconds>``, the CronJob's part shortened so the whole fits 63 characters."""
    suffix = f"-{int(now.timestamp())}"
    return cronjob[: _MAX_NAME - len(suffix)].rstrip("-.") + suffix


def _kind(plural: str, allowed: tuple[str, ...] | None = None) -> KindSpec:
    spec = kind_by_plural(plural)
    if spec is None or (allowed is not None and plural not in allowed):
        what = f"one of {', '.join(allowed)}" if allowed else "a built-in kind"
        raise InvalidRequest(f"this action needs {what}, not {plural!r}")
    return spec


def _ref(spec: KindSpec, namespace: str | None, name: str) -> ObjectRef:
    if spec.namespaced and not namespace:
        raise InvalidRequest(f"{spec.plural} are namespaced: name a namespace")
    if not spec.namespaced and namespace:
        raise InvalidRequest(f"{spec.plural} are cluster-scoped: use /{spec.plural}/{{name}}")
    return ObjectRef(spec.gvr, name, namespace if spec.namespaced else None)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ActionsService:
    """Scale, restart, cordon, suspend, trigger, label and reveal, on built-in kinds."""

    def __init__(self, directory: ClusterDirectory, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self._directory = directory
        self._clock = clock

    async def _live(self, cluster: str, ref: ObjectRef, as_: Impersonation) -> tuple[KubeClient, dict[str, Any]]:
        client = await self._directory.client(cluster)
        return client, await client.get(ref.gvr, ref.name, namespace=ref.namespace, as_=as_)

    async def _apply(
        self, cluster: str, spec: KindSpec, ref: ObjectRef, body: dict[str, Any], manager: str, as_: Impersonation
    ) -> ApplyResult:
        client, live = await self._live(cluster, ref, as_)
        metadata = {"name": ref.name, **({"namespace": ref.namespace} if ref.namespace else {})}
        config = {"apiVersion": spec.gvr.api_version, "kind": spec.kind, "metadata": metadata, **body}
        result = await client.patch(
            ref.gvr, ref.name, config, patch_type="apply", namespace=ref.namespace, field_manager=manager,
            force=True, as_=as_,
        )  # fmt: skip
        return changes_and_warnings(live, result)

    async def scale(
        self, cluster: str, plural: str, namespace: str, name: str, replicas: int, *, as_: Impersonation = BRIDGE
    ) -> ApplyResult:
        """Set the replica count through the scale subresource (as ``kubectl scale`` does)."""
        if replicas < 0:
            raise InvalidRequest("replicas must be 0 or more")
        spec = _kind(plural, SCALABLE)
        ref = _ref(spec, namespace, name)
        client, live = await self._live(cluster, ref, as_)
        scale = await client.patch(
            ref.gvr, name, {"spec": {"replicas": replicas}}, patch_type="merge", namespace=namespace,
            subresource="scale", field_manager="periscope-scale", as_=as_,
        )  # fmt: skip
        before = (live.get("spec") or {}).get("replicas")
        changes = [] if before == replicas else [Change(".spec.replicas", "change", before=before, after=replicas)]
        warnings = ownership_warnings(managed_fields(live), [c.path for c in changes])
        return ApplyResult(object=scale, dry_run=False, diff=changes, warnings=warnings)

    async def restart(
        self, cluster: str, plural: str, namespace: str, name: str, *, as_: Impersonation = BRIDGE
    ) -> ApplyResult:
        """Roll every pod, as ``kubectl rollout restart`` does: stamp the pod template."""
        spec = _kind(plural, _RESTARTABLE)
        stamp = self._clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        template = {"template": {"metadata": {"annotations": {RESTART_ANNOTATION: stamp}}}}
        return await self._apply(cluster, spec, _ref(spec, namespace, name), {"spec": template},
                                 "periscope-restart", as_)

    async def set_unschedulable(
        self, cluster: str, node: str, unschedulable: bool, *, as_: Impersonation = BRIDGE
    ) -> ApplyResult:
        """Cordon (True) or uncordon (False) a node."""
        spec = _kind("nodes")
        body = {"spec": {"unschedulable": unschedulable}}
        return await self._apply(cluster, spec, _ref(spec, None, node), body, "periscope-cordon", as_)

    async def set_suspended(
        self, cluster: str, namespace: str, name: str, suspended: bool, *, as_: Impersonation = BRIDGE
    ) -> ApplyResult:
        """Suspend (True) or resume (False) a CronJob's schedule."""
        spec = _kind("cronjobs")
        body = {"spec": {"suspend": suspended}}
        return await self._apply(cluster, spec, _ref(spec, namespace, name), body, "periscope-suspend", as_)

    async def edit_labels(
        self,
        cluster: str,
        plural: str,
        namespace: str | None,
        name: str,
        labels: Mapping[str, str | None],
        *,
        as_: Impersonation = BRIDGE,
    ) -> ApplyResult:
        """Set labels (a string) and remove them (None); labels not named are left alone.

        A JSON merge patch rather than an apply: apply can only drop a label no
        other manager also owns, and removing a label is the point of this action.
        """
        if not labels:
            raise InvalidRequest("name at least one label to set or remove")
        spec = _kind(plural)
        ref = _ref(spec, namespace, name)
        client, live = await self._live(cluster, ref, as_)
        result = await client.patch(
            ref.gvr, name, {"metadata": {"labels": dict(labels)}}, patch_type="merge", namespace=ref.namespace,
            field_manager="periscope-labels", as_=as_,
        )  # fmt: skip
        return changes_and_warnings(live, result)

    async def trigger(self, cluster: str, namespace: str, name: str, *, as_: Impersonation = BRIDGE) -> TriggeredJob:
        """Run a CronJob now: a Job from its template, owned by the CronJob (``kubectl create job --from``)."""
        spec = _kind("cronjobs")
        client, cron = await self._live(cluster, _ref(spec, namespace, name), as_)
        template = (cron.get("spec") or {}).get("jobTemplate") or {}
        template_meta = template.get("metadata") or {}
        job_meta: dict[str, Any] = {
            "name": job_name(name, self._clock()),
            "namespace": namespace,
            "annotations": {**(template_meta.get("annotations") or {}), "cronjob.kubernetes.io/instantiate": "manual"},
            "ownerReferences": [{
                "apiVersion": spec.gvr.api_version, "kind": spec.kind, "name": name,
                "uid": cron["metadata"]["uid"], "controller": True,
            }],
        }  # fmt: skip
        if template_meta.get("labels"):
            job_meta["labels"] = template_meta["labels"]
        job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": job_meta, "spec": template.get("spec") or {}}
        created = await client.create(_JOBS, job, namespace=namespace, field_manager=FIELD_MANAGER, as_=as_)
        return TriggeredJob(job_name=created["metadata"]["name"])

    async def reveal_secret(
        self, cluster: str, namespace: str, name: str, key: str, *, as_: Impersonation = BRIDGE
    ) -> bytes:
        """One decoded value of a Secret; SecretKeyNotFound when it has no such key."""
        spec = _kind("secrets")
        _, secret = await self._live(cluster, _ref(spec, namespace, name), as_)
        value = (secret.get("data") or {}).get(key)
        if not isinstance(value, str):
            raise SecretKeyNotFound(namespace, name, key)
        return base64.b64decode(value)
