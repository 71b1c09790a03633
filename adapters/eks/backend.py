"""The ``eks`` backend: DescribeCluster for the endpoint and CA, then STS tokens as the pod's AWS identity.

Registry entries name the cluster by ARN (``arn:aws:eks:<region>:<account>:cluster/<name>``)
and region, as in the original. Credentials come from the default chain: EKS Pod
Identity, IRSA, the environment or a profile. Impersonation is added on top by the
client, so the AWS identity is only the bridge.
"""

from __future__ import annotations

import base64
import os
import tempfile

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore.exceptions import BotoCoreError, ClientError
from kubernetes_asyncio.client import Configuration

from periscope_adapters.eks.tokens import StsTokenSource, aws_failure
from periscope_adapters.kube import KubeAsyncioTransport
from periscope_core.domain.clusters import ClusterEntry, parse_eks_arn
from periscope_core.domain.errors import ClusterUnreachable, ConfigError, ConfigProblem
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.ports.transport import ClusterTransport

__all__ = ["EksBackend"]


class EksBackend(ClusterBackend):
    """The endpoint URLs point EKS and STS elsewhere (private endpoints, tests); so do
    ``AWS_ENDPOINT_URL_EKS`` / ``AWS_ENDPOINT_URL_STS``, read by botocore itself."""

    name = "eks"

    def __init__(
        self, *, eks_endpoint_url: str | None = None, sts_endpoint_url: str | None = None,
        session: AioSession | None = None,
    ) -> None:  # fmt: skip
        self._eks_endpoint_url = eks_endpoint_url
        self._sts_endpoint_url = sts_endpoint_url
        self._session = session or get_session()
        self._config = AioConfig(connect_timeout=5, read_timeout=15, retries={"mode": "standard"})

    def validate(self, entry: ClusterEntry) -> list[tuple[str, str]]:
        if not entry.arn:
            return [("arn", "an eks cluster needs its ARN (arn:aws:eks:<region>:<account>:cluster/<name>)")]
        arn = parse_eks_arn(entry.arn)
        if arn is None:
            return [("arn", f"not an EKS cluster ARN: {entry.arn!r}")]
        if not entry.region:
            return [("region", "an eks cluster needs its region")]
        if arn.region != entry.region:
            return [("region", f"{entry.region!r} is not the region in the ARN ({arn.region})")]
        return []

    async def connect(self, entry: ClusterEntry, context: BackendContext) -> ClusterTransport:
        problems = self.validate(entry)
        if problems:
            field, message = problems[0]
            raise ConfigError([ConfigProblem(file="registry", entry=entry.name, field=field, message=message)])
        arn = parse_eks_arn(entry.arn)
        assert arn is not None  # validated above
        cluster_name = arn.name
        endpoint, ca_pem = await self._describe(entry, cluster_name)
        tokens = StsTokenSource(self._session, cluster_name=cluster_name, region=entry.region,
                                endpoint_url=self._sts_endpoint_url)  # fmt: skip
        configuration = Configuration(host=endpoint)
        # The first token now: missing credentials show at connect, and the key hook only runs
        # for a key that is already there.
        await tokens.refresh(configuration)
        configuration.refresh_api_key_hook = tokens.refresh
        # kubernetes-asyncio reads the CA from a file when the client is built, never afterwards.
        with tempfile.NamedTemporaryFile("wb", suffix=".crt", delete=False) as handle:
            handle.write(ca_pem)
        try:
            configuration.ssl_ca_cert = handle.name
            return KubeAsyncioTransport(configuration)
        except OSError as exc:  # an unparsable CA bundle (ssl.SSLError is an OSError)
            raise ConfigError([ConfigProblem(file="registry", entry=entry.name, field="arn",
                                             message=f"EKS returned an unusable CA: {exc}")]) from exc  # fmt: skip
        finally:
            os.unlink(handle.name)

    async def _describe(self, entry: ClusterEntry, cluster_name: str) -> tuple[str, bytes]:
        action = f"cluster {entry.name}: eks:DescribeCluster {cluster_name}"
        try:
            async with self._session.create_client(
                "eks", region_name=entry.region, endpoint_url=self._eks_endpoint_url, config=self._config
            ) as eks:
                described = await eks.describe_cluster(name=cluster_name)
        except (BotoCoreError, ClientError) as exc:
            raise aws_failure(action, exc) from exc
        cluster = described["cluster"]
        endpoint = cluster.get("endpoint") or ""
        ca_data = (cluster.get("certificateAuthority") or {}).get("data") or ""
        if not endpoint or not ca_data:
            raise ClusterUnreachable(f"{action}: no endpoint or CA yet (status {cluster.get('status', 'unknown')})")
        return endpoint, base64.b64decode(ca_data)
