"""``/api/clusters/{c}/helm/releases``: the read-only Helm release browser, as the caller.

Viewing one revision or a diff shows the release's values, which often hold secrets, so
each such view writes one ``helm_read`` audit row; the list and the history (metadata only)
do not.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from periscope_core.domain.audit import ResourceRef
from periscope_core.services.helm import HISTORY_MAX, ReleaseDetail, ReleaseDiff, ReleaseHistory, ReleaseList
from periscope_entrypoints.http.controllers.editing import NO_STORE, AnyRequest, audited
from periscope_entrypoints.http.params import CallerDep, PathStr, ServicesDep

Revision = Annotated[int, QueryParameter(ge=0, description="The revision; 0 or absent: the newest.")]
Max = Annotated[int, QueryParameter(name="max", ge=1, le=HISTORY_MAX, description="How many revisions, newest first.")]
From = Annotated[int, QueryParameter(name="from", ge=1, description="The older revision.")]
To = Annotated[int, QueryParameter(ge=1, description="The newer revision.")]


def _release_ref(namespace: str, name: str) -> ResourceRef:
    # Named after Helm's storage type (helm.sh/release.v1), whichever driver holds it.
    return ResourceRef(group="helm.sh", version="v1", resource="releases", namespace=namespace, name=name)


class HelmController(Controller):
    path = "/api/clusters/{cluster:str}/helm/releases"
    tags = ["helm"]

    @get("/", operation_id="listHelmReleases")
    async def releases(self, services: ServicesDep, caller: CallerDep, cluster: PathStr) -> Response[ReleaseList]:
        """Installed releases at their newest revision, sorted by namespace and name, at most 200.

        Without the right to list Secrets (or ConfigMaps) cluster-wide, the releases of each
        namespace the caller may read are listed instead, and ``hiddenNamespaces`` counts the
        others. A release that cannot be decoded is listed with its ``problem``.

        Args:
            services: The application services.
            caller: Who is asking; every list is read as them.
            cluster: Registry name of the cluster.

        Returns:
            ``{releases, truncated, hiddenNamespaces}``.
        """
        return Response(await services.helm.releases(cluster, as_=caller.as_), headers=NO_STORE)

    @get("/{namespace:str}/{name:str}", operation_id="getHelmRelease")
    async def release(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, namespace: PathStr,
        name: PathStr, revision: Revision = 0,
    ) -> Response[ReleaseDetail]:  # fmt: skip
        """One revision: chart, status, notes, user-supplied values, manifest and the objects it declares.

        Audited as ``helm_read`` (``op`` ``detail`` and the revision shown).

        Args:
            services: The application services.
            caller: Who is asking; the release is read as them.
            request: The request (for the audit record).
            cluster: Registry name of the cluster.
            namespace: The release's namespace.
            name: The release's name.
            revision: The revision; 0 or absent for the newest.

        Returns:
            The revision.
        """
        ref = _release_ref(namespace, name)
        with audited(services, caller, request, verb="helm_read", cluster=cluster, resource=ref,
                     extra={"op": "detail", "revision": revision}, read=True) as action:  # fmt: skip
            detail = await services.helm.release(cluster, namespace, name, revision=revision, as_=caller.as_)
            action.extra["revision"] = detail.revision
        return Response(detail, headers=NO_STORE)

    @get("/{namespace:str}/{name:str}/history", operation_id="getHelmReleaseHistory")
    async def history(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, namespace: PathStr, name: PathStr,
        max_: Max = 10,
    ) -> Response[ReleaseHistory]:  # fmt: skip
        """The newest revisions first (``max``, 10 by default, at most 100), metadata only, and the total kept.

        Args:
            services: The application services.
            caller: Who is asking; the history is read as them.
            cluster: Registry name of the cluster.
            namespace: The release's namespace.
            name: The release's name.
            max_: How many revisions.

        Returns:
            ``{revisions, total}``.
        """
        return Response(await services.helm.history(cluster, namespace, name, max_=max_, as_=caller.as_),
                        headers=NO_STORE)  # fmt: skip

    @get("/{namespace:str}/{name:str}/diff", operation_id="diffHelmRelease")
    async def diff(
        self, services: ServicesDep, caller: CallerDep, request: AnyRequest, cluster: PathStr, namespace: PathStr,
        name: PathStr, from_: From, to: To,
    ) -> Response[ReleaseDiff]:  # fmt: skip
        """Two revisions' manifests and user-supplied values, and what changed, object by object.

        ``changes`` lists added, removed and modified objects (matched by kind, namespace and
        name), a modified one with its changed fields; ``valueChanges`` does the same for the
        values. Audited as ``helm_read`` (``op`` ``diff``).

        Args:
            services: The application services.
            caller: Who is asking; both revisions are read as them.
            request: The request (for the audit record).
            cluster: Registry name of the cluster.
            namespace: The release's namespace.
            name: The release's name.
            from_: The older revision.
            to: The newer revision.

        Returns:
            The diff.
        """
        ref = _release_ref(namespace, name)
        with audited(services, caller, request, verb="helm_read", cluster=cluster, resource=ref,
                     extra={"op": "diff", "from": from_, "to": to}, read=True):  # fmt: skip
            result = await services.helm.diff(cluster, namespace, name, from_=from_, to=to, as_=caller.as_)
        return Response(result, headers=NO_STORE)
