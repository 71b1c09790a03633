"""The EKS views' peers: moto's server and the AWS front (tests/eks/aws_peer.py), a sandbox
cluster that decides who may see them, and the service wired to both as in production."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from periscope_adapters.sandbox import ADMIN_USER, ApiServer, InProcessTransport
from periscope_adapters.sandbox._manifests import binding, cluster_role
from periscope_core.domain.clusters import ClusterEntry, ClusterRegistry
from periscope_core.ports.aws import AwsApi
from periscope_core.services.can_i import CanIService
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.eks_upgrade import EksUpgradeService
from periscope_core.testing.backends import StaticBackend

from .aws_peer import ACCOUNT, KEY_ID, KEY_SECRET, AwsFront, AwsTables

pytest.importorskip("aiobotocore", reason="the aws extra is not installed")
moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")

REGION = "eu-west-1"
CLUSTER = "prod-eu"
EKS_NAME = "prod-eu-1"
"""The cluster's name in EKS, unlike its registry name: the views must use the ARN's."""
ARN = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{EKS_NAME}"


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _boto(service: str, url: str) -> object:
    import boto3

    return boto3.client(service, region_name=REGION, endpoint_url=url, aws_access_key_id=KEY_ID,
                        aws_secret_access_key=KEY_SECRET)  # fmt: skip


_lock = threading.Lock()


@pytest.fixture(scope="session")
def eks_cluster(moto_url: str) -> str:
    """``prod-eu-1`` in moto on Kubernetes 1.30, with two managed node groups."""
    eks = _boto("eks", moto_url)
    with _lock:
        eks.create_cluster(name=EKS_NAME, version="1.30", roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",  # type: ignore[attr-defined]
                           resourcesVpcConfig={})  # fmt: skip
        role = f"arn:aws:iam::{ACCOUNT}:role/nodes"
        eks.create_nodegroup(clusterName=EKS_NAME, nodegroupName="general", nodeRole=role, subnets=["subnet-1"],  # type: ignore[attr-defined]
                             version="1.30", releaseVersion="1.30.4-20240917", amiType="AL2_x86_64",
                             instanceTypes=["m6i.large"], capacityType="ON_DEMAND",
                             scalingConfig={"minSize": 2, "maxSize": 6, "desiredSize": 3})  # fmt: skip
        eks.create_nodegroup(clusterName=EKS_NAME, nodegroupName="legacy-batch", nodeRole=role, subnets=["subnet-1"],  # type: ignore[attr-defined]
                             version="1.28", releaseVersion="1.28.13-20240817", amiType="AL2023_x86_64_STANDARD",
                             instanceTypes=["c6i.xlarge"], capacityType="SPOT",
                             scalingConfig={"minSize": 0, "maxSize": 10, "desiredSize": 1})  # fmt: skip
    return EKS_NAME


@dataclass
class EksViews:
    service: EksUpgradeService
    tables: AwsTables
    api: ApiServer
    aws: AwsApi
    backend: StaticBackend
    """The cluster's transport under the eks backend's name (how it is reached is the eks backend's own suite)."""


@pytest.fixture
async def views(moto_url: str, eks_cluster: str) -> AsyncIterator[EksViews]:
    from aiobotocore.session import AioSession
    from aiohttp import web

    from periscope_adapters.eks import BotocoreAwsApi

    tables = AwsTables()
    runner = web.AppRunner(AwsFront(tables, moto_url).app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    front = f"http://{host}:{port}"
    session = AioSession()
    session.set_credentials(KEY_ID, KEY_SECRET)
    aws = BotocoreAwsApi(session=session, endpoint_urls={"eks": front, "ssm": front, "ec2": moto_url})
    api = ApiServer(name=CLUSTER)
    api.create_object(cluster_role("node-reader", [{"apiGroups": [""], "resources": ["nodes"],
                                                    "verbs": ["get", "list", "watch"]}]))  # fmt: skip
    api.create_object(binding("sre-nodes", "node-reader", user="sre"))
    registry = ClusterRegistry(clusters=(
        ClusterEntry(name=CLUSTER, backend="eks", region=REGION, arn=ARN),
        ClusterEntry(name="lab", backend="kubeconfig", kubeconfigPath="/nonexistent"),
    ))  # fmt: skip
    backend = StaticBackend(InProcessTransport(api, ADMIN_USER), name="eks")
    directory = ClusterDirectory(registry, {"eks": backend})
    try:
        yield EksViews(service=EksUpgradeService(directory, aws, CanIService()), tables=tables, api=api, aws=aws,
                       backend=backend)  # fmt: skip
    finally:
        await aws.aclose()
        await runner.cleanup()
