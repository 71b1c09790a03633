"""Bearer tokens for one EKS cluster, minted from the AWS identity and reused until near expiry.

The original presigned a new token and called DescribeCluster on every request; a token
is good for 15 minutes, so one is kept and replaced once it is ``refresh_after`` old.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.exceptions import BotoCoreError, ClientError

from periscope_core.domain.errors import ClusterUnreachable
from periscope_core.protocols.eks_token import CLUSTER_ID_HEADER, PRESIGN_EXPIRES_SECONDS, encode_token

__all__ = ["StsTokenSource", "aws_failure"]

_REFRESH_AFTER = 10 * 60.0


def aws_failure(action: str, exc: BaseException) -> ClusterUnreachable:
    """botocore's failure as the cluster error a user sees, with AWS's error code when there is one."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return ClusterUnreachable(f"{action}: AWS answered {error.get('Code', 'an error')}: {error.get('Message', '')}")
    return ClusterUnreachable(f"{action}: {type(exc).__name__}: {exc}")


class StsTokenSource:
    """``k8s-aws-v1.`` tokens for ``cluster_name``; ``refresh`` is a kubernetes-asyncio key hook."""

    def __init__(
        self,
        session: AioSession,
        *,
        cluster_name: str,
        region: str,
        endpoint_url: str | None = None,
        refresh_after: float = _REFRESH_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._cluster = cluster_name
        self._region = region
        self._endpoint_url = endpoint_url
        self._refresh_after = refresh_after
        self._clock = clock
        self._token = ""
        self._minted = -refresh_after
        self._lock = anyio.Lock()
        self._config = AioConfig(connect_timeout=5, read_timeout=10, retries={"mode": "standard"})

    async def token(self) -> str:
        """A valid token, minting a new one when the held one is due; raises ClusterUnreachable."""
        async with self._lock:  # concurrent requests share one mint
            if self._clock() - self._minted >= self._refresh_after:
                self._token = await self._mint()
                self._minted = self._clock()
            return self._token

    async def refresh(self, configuration: Any) -> None:
        configuration.api_key["BearerToken"] = f"Bearer {await self.token()}"

    async def _mint(self) -> str:
        cluster = self._cluster

        def sign_cluster_id(request: Any, **_: Any) -> None:
            request.headers[CLUSTER_ID_HEADER] = cluster

        try:
            async with self._session.create_client(
                "sts", region_name=self._region, endpoint_url=self._endpoint_url, config=self._config
            ) as sts:
                sts.meta.events.register("before-sign.sts.GetCallerIdentity", sign_cluster_id)
                url = await sts.generate_presigned_url(
                    "get_caller_identity", Params={}, ExpiresIn=PRESIGN_EXPIRES_SECONDS, HttpMethod="GET"
                )
        except (BotoCoreError, ClientError) as exc:
            raise aws_failure(f"cluster {cluster}: could not mint an STS token", exc) from exc
        return encode_token(url)
