"""EKS-style authentication for the sandbox: ``k8s-aws-v1.`` tokens checked against STS.

What EKS runs in front of its apiservers: the presigned ``GetCallerIdentity`` URL in the
token is called (only on the STS endpoint this authenticator trusts, never a host the
token names), and the caller's IAM principal is looked up in the access entries.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp

from periscope_core.protocols.eks_token import CLUSTER_ID_HEADER, caller_arn_to_principal, decode_token
from periscope_core.protocols.errors import RemoteProtocolError

from ._rbac import UserInfo

__all__ = ["AwsIamAuthenticator"]

_TIMEOUT = aiohttp.ClientTimeout(total=5)


def _now() -> datetime:
    return datetime.now(UTC)


class AwsIamAuthenticator:
    """A token webhook for ``SandboxServer``: the user an EKS token proves, or None."""

    def __init__(
        self,
        *,
        cluster_name: str,
        sts_endpoint: str,
        access_entries: Mapping[str, UserInfo],
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._cluster = cluster_name
        self._trusted_host = urlsplit(sts_endpoint).netloc.lower()
        self.access_entries = dict(access_entries)
        """IAM principal ARN (a role, not a session) -> Kubernetes user; may change while serving."""
        self._clock = clock

    async def __call__(self, token: str) -> UserInfo | None:
        try:
            identity = decode_token(token, now=self._clock())
        except RemoteProtocolError:
            return None
        if identity.host != self._trusted_host:
            return None
        arn = await self._caller(identity.url)
        return self.access_entries.get(caller_arn_to_principal(arn)) if arn else None

    async def _caller(self, url: str) -> str:
        headers = {CLUSTER_ID_HEADER: self._cluster, "Accept": "application/xml"}
        try:
            async with aiohttp.ClientSession(timeout=_TIMEOUT) as http, http.get(url, headers=headers) as response:
                if response.status != 200:
                    return ""
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError):
            return ""
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return ""
        arn = next((element.text for element in root.iter() if element.tag.rsplit("}", 1)[-1] == "Arn"), None)
        return (arn or "").strip()
