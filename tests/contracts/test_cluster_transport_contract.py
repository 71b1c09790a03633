"""The ClusterTransport contract against every adapter, plus credential rotation over the wire."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from periscope_adapters.sandbox import UserInfo
from periscope_core.domain.errors import Unauthorized
from periscope_core.ports.backends import BackendContext
from periscope_core.ports.transport import ClusterTransport
from periscope_core.services.backends import load_backends
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.kube import KubeClient
from periscope_core.services.registry import load_registry
from periscope_core.testing.contracts import ClusterTransportContract, LogWriter, PodRef
from periscope_core.testing.contracts._support import PODS, SELF_REVIEWS

from .sandbox_adapters import (
    WORKER,
    ServedFleet,
    ServerHooks,
    exec_user,
    in_cluster_connection,
    kubeconfig_connection,
    write_kubeconfig,
    write_token,
)


class TestClusterTransport(ClusterTransportContract):
    @pytest.fixture
    def running_pod(self) -> PodRef:
        return WORKER  # seeded running, shared: no pod start per test

    @pytest.fixture
    def write_log_line(self, server_hooks: ServerHooks) -> LogWriter:
        return server_hooks.write_log_line

    @pytest.fixture
    def expire_history(self, server_hooks: ServerHooks) -> Callable[[], Awaitable[None]]:
        return server_hooks.expire_history


async def _whoami(transport: ClusterTransport) -> str:
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    answer = await KubeClient(transport, cluster="contract").create(SELF_REVIEWS, review)
    return str(answer["status"]["userInfo"]["username"])


async def _second_identity(served: ServedFleet, name: str) -> str:
    """A new bearer token the served cluster accepts, for ``name``."""
    token = f"{name}-token"
    await served.call(lambda: served.cluster.server.tokens.__setitem__(token, UserInfo(name=name)))
    return token


async def test_in_cluster_picks_up_a_rotated_token(served: ServedFleet, tmp_path: Path) -> None:
    connection = in_cluster_connection(
        tmp_path, server=served.cluster.url, ca_pem=served.fleet.ca.ca_pem, token=served.cluster.admin_token
    )
    transport = await connection.connect()
    try:
        assert await _whoami(transport) == "sandbox-admin"
        write_token(tmp_path / "token", await _second_identity(served, "rotated-sa"))
        assert await _whoami(transport) == "rotated-sa"
    finally:
        await transport.aclose()


async def test_expired_exec_credential_is_fetched_again(served: ServedFleet, tmp_path: Path) -> None:
    token_file = tmp_path / "plugin-token"
    token_file.write_text(served.cluster.admin_token)
    # Already inside the refresh margin: every request must ask the plugin again.
    expiry = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig", server=served.cluster.url, ca_pem=served.fleet.ca.ca_pem,
        user=exec_user(token_file, expiry),
    )
    transport = await kubeconfig_connection(kubeconfig).connect()
    try:
        assert await _whoami(transport) == "sandbox-admin"
        token_file.write_text(await _second_identity(served, "plugin-user"))
        assert await _whoami(transport) == "plugin-user"
    finally:
        await transport.aclose()


async def test_sandbox_registry_is_reached_through_the_kubeconfig_backend(served: ServedFleet, tmp_path: Path) -> None:
    kubeconfig = served.fleet.write_kubeconfig(tmp_path / "kubeconfig")
    registry = load_registry(served.fleet.write_registry(tmp_path / "clusters.yaml", kubeconfig))
    directory = ClusterDirectory(registry, load_backends(), BackendContext(registry_dir=str(tmp_path)))
    try:
        assert directory.validate() == []
        client = await directory.client("contract")
        assert client is await directory.client("contract")  # connected once
        pods = await client.list(PODS, namespace=WORKER.namespace)
        assert [p["metadata"]["name"] for p in pods.items] == [WORKER.name]
        assert await _whoami(client.transport) == "periscope-bridge"
    finally:
        await directory.aclose()


async def test_rejected_credentials_are_unauthorized(served: ServedFleet, tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig", server=served.cluster.url, ca_pem=served.fleet.ca.ca_pem, user={"token": "forged"}
    )
    transport = await kubeconfig_connection(kubeconfig).connect()
    try:
        with pytest.raises(Unauthorized) as rejected:
            await KubeClient(transport, cluster="contract").list(PODS, namespace=WORKER.namespace)
        assert rejected.value.status.code == 401
    finally:
        await transport.aclose()
