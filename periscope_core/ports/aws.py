"""AWS API calls made with Periscope's own AWS identity (Pod Identity, IRSA, a profile).

One method, like the cluster transport: the service, the operation and its parameters
as the AWS API names them (``eks``, ``ListInsights``, ``{"clusterName": ...}``), the
decoded response back. Adapters translate their failures into the core's errors at
this boundary, so services never see an SDK's exceptions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

__all__ = ["AwsApi"]


class AwsApi(ABC):
    @abstractmethod
    async def call(self, region: str, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The operation's response.

        Raises AwsAccessDenied when the identity may not call it, AwsResourceNotFound for
        a missing resource and AwsError for anything else (throttling after retries,
        no credentials, the network); each message names the service and operation.
        """

    async def aclose(self) -> None:  # noqa: B027  # optional: only adapters holding connections need it
        """Release what the adapter holds open."""
