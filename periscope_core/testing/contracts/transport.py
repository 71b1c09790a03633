"""The contract every ClusterTransport adapter is held to, exercised through KubeClient.

Subclass ``ClusterTransportContract`` in a test module and provide two fixtures:

- ``transport``: a ClusterTransport to a disposable cluster, authenticated as an
  identity that may do anything and impersonate anyone (the bridge/admin role);
- ``unreachable_transport``: the same adapter pointed at a port nobody listens on.

Server-specific hooks are optional fixtures: ``expire_history`` (an async callable that
makes the server forget its watch history, so an old resourceVersion gets 410 Gone;
the case skips without it) and ``write_log_line`` (appends a line to a container's log,
so the log cases need not wait for the container's own output). ``running_pod`` (a
PodRef) may be overridden to share one pod, and ``pod_manifest`` when the cluster
cannot run the default busybox image.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress

import pytest

from periscope_core.domain.errors import ApiError, ClusterUnreachable, Forbidden
from periscope_core.domain.identity import Impersonation
from periscope_core.ports.transport import ClusterTransport
from periscope_core.services.kube import KubeClient
from periscope_core.testing.contracts._objects import ObjectContract
from periscope_core.testing.contracts._streams import StreamContract
from periscope_core.testing.contracts._support import (
    ACCESS_REVIEWS,
    CONFIGMAPS,
    NAMESPACES,
    NOBODY,
    PODS,
    ROLEBINDINGS,
    ROLES,
    SELF_REVIEWS,
    LogWriter,
    PodRef,
    configmap,
    names,
    wait_running,
)

__all__ = ["ClusterTransportContract"]


class ClusterTransportContract(ObjectContract, StreamContract):
    """Async pytest tests for one ClusterTransport; see the module docstring for the fixtures."""

    pod_ready_seconds = 120.0

    @pytest.fixture
    def kube(self, transport: ClusterTransport) -> KubeClient:
        # Not closed here: the transport belongs to the fixture that made it.
        return KubeClient(transport, cluster="contract", request_timeout=30.0)

    @pytest.fixture
    async def namespace(self, kube: KubeClient) -> AsyncIterator[str]:
        name = f"periscope-contract-{secrets.token_hex(4)}"
        await kube.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        yield name
        with suppress(ApiError, ClusterUnreachable):
            await kube.delete(NAMESPACES, name)

    @pytest.fixture
    async def running_pod(self, kube: KubeClient, namespace: str) -> PodRef:
        await kube.create(PODS, self.pod_manifest("worker"), namespace=namespace)
        await wait_running(kube, namespace, "worker", within=self.pod_ready_seconds)
        return PodRef(namespace, "worker", "main")

    @pytest.fixture
    def write_log_line(self) -> LogWriter | None:
        """None: the log tests wait for the container's own output."""
        return None

    @pytest.fixture
    def expire_history(self) -> Callable[[], Awaitable[None]]:
        pytest.skip("this cluster offers no hook to compact its watch history")

    # -- discovery ---------------------------------------------------------------------

    async def test_version_names_the_server(self, kube: KubeClient) -> None:
        version = await kube.version()
        assert str(version["gitVersion"]).startswith("v")
        assert version["major"]
        assert version["minor"]

    async def test_discovery_lists_core_and_group_resources(self, kube: KubeClient) -> None:
        found = {(r.group, r.plural): r for r in await kube.discover()}
        pods, namespaces = found[("", "pods")], found[("", "namespaces")]
        assert (pods.kind, pods.version, pods.namespaced) == ("Pod", "v1", True)
        assert {"list", "watch", "create", "delete"} <= set(pods.verbs)
        assert namespaces.namespaced is False
        assert found[("apps", "deployments")].kind == "Deployment"

    async def test_unreachable_cluster(self, unreachable_transport: ClusterTransport) -> None:
        kube = KubeClient(unreachable_transport, cluster="gone", request_timeout=10.0)
        with pytest.raises(ClusterUnreachable):
            await kube.version()
        with pytest.raises(ClusterUnreachable):
            await kube.list(CONFIGMAPS, namespace="default")

    # -- impersonation -------------------------------------------------------------------

    async def test_self_review_shows_the_impersonated_user(self, kube: KubeClient) -> None:
        who = Impersonation(user="alice@example.com", groups=("team-one", "team-two"))
        review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
        answer = await kube.create(SELF_REVIEWS, review, as_=who)
        user = answer["status"]["userInfo"]
        assert user["username"] == "alice@example.com"
        assert {"team-one", "team-two"} <= set(user["groups"])  # one header per group, none lost

    async def test_access_review_answers_for_the_impersonated_user(self, kube: KubeClient, namespace: str) -> None:
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"namespace": namespace, "verb": "list", "resource": "configmaps"}},
        }
        assert (await kube.create(ACCESS_REVIEWS, review))["status"]["allowed"] is True
        assert (await kube.create(ACCESS_REVIEWS, review, as_=NOBODY))["status"]["allowed"] is False

    async def test_impersonated_user_without_rights_is_forbidden(self, kube: KubeClient, namespace: str) -> None:
        with pytest.raises(Forbidden) as denied:
            await kube.list(CONFIGMAPS, namespace=namespace, as_=NOBODY)
        status = denied.value.status
        assert (status.code, status.reason) == (403, "Forbidden")
        assert 'User "periscope-contract-nobody" cannot list resource "configmaps"' in status.message

    async def test_impersonated_group_grants_rights(self, kube: KubeClient, namespace: str) -> None:
        rules = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]
        rbac = {"apiVersion": "rbac.authorization.k8s.io/v1"}
        role = {**rbac, "kind": "Role", "metadata": {"name": "reader"}, "rules": rules}
        await kube.create(ROLES, role, namespace=namespace)
        binding = {
            **rbac,
            "kind": "RoleBinding",
            "metadata": {"name": "readers"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "readers"}],
        }
        await kube.create(ROLEBINDINGS, binding, namespace=namespace)
        await kube.create(CONFIGMAPS, configmap("visible"), namespace=namespace)
        member = Impersonation(user="carol", groups=("readers", "unrelated"))
        listed = await kube.list(CONFIGMAPS, namespace=namespace, as_=member)
        assert names(listed.items) == ["visible"]
        with pytest.raises(Forbidden):
            await kube.list(CONFIGMAPS, namespace=namespace, as_=Impersonation(user="carol"))
