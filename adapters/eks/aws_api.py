"""The AWS API port over aiobotocore: one client per (service, region), kept open until ``aclose``.

Credentials come from the default chain (Pod Identity, IRSA, the environment, a
profile), as for the eks backend. botocore's exceptions stop here: each becomes the
core's error for what went wrong, with the action named so an operator can fix the
policy (``eks:DescribeNodegroup`` is scoped to node group ARNs, not the cluster's).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any

import anyio
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from periscope_core.domain.errors import AwsAccessDenied, AwsError, AwsResourceNotFound
from periscope_core.ports.aws import AwsApi

__all__ = ["BotocoreAwsApi"]

_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException"})
_MISSING = frozenset({"ResourceNotFoundException", "ParameterNotFound", "NotFoundException"})


class BotocoreAwsApi(AwsApi):
    """``endpoint_urls`` points services elsewhere (``{"eks": ...}``: private endpoints, tests);
    botocore also reads ``AWS_ENDPOINT_URL_<SERVICE>`` itself."""

    def __init__(self, *, session: AioSession | None = None, endpoint_urls: Mapping[str, str] | None = None) -> None:
        self._session = session or get_session()
        self._endpoints = dict(endpoint_urls or {})
        self._config = AioConfig(connect_timeout=5, read_timeout=15, retries={"mode": "standard"})
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = anyio.Lock()
        self._stack = AsyncExitStack()

    async def call(self, region: str, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        action = f"{service}:{operation}"
        try:
            client = await self._client(service, region)
            answer: dict[str, Any] = await getattr(client, xform_name(operation))(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = str(error.get("Code", "")), str(error.get("Message", ""))
            text = f"{action} in {region}: AWS answered {code or 'an error'}: {message}".rstrip(": ")
            if code in _DENIED:
                raise AwsAccessDenied(f"{text} (grant {action} to Periscope's AWS role)") from exc
            if code in _MISSING:
                raise AwsResourceNotFound(text) from exc
            raise AwsError(text) from exc
        except BotoCoreError as exc:
            raise AwsError(f"{action} in {region}: {type(exc).__name__}: {exc}") from exc
        answer.pop("ResponseMetadata", None)
        return answer

    async def _client(self, service: str, region: str) -> Any:
        key = (service, region)
        if (client := self._clients.get(key)) is None:
            async with self._lock:
                if (client := self._clients.get(key)) is None:
                    # The stubs type create_client per literal service name; this port takes any.
                    session: Any = self._session
                    creating = session.create_client(service, region_name=region, config=self._config,
                                                     endpoint_url=self._endpoints.get(service))  # fmt: skip
                    client = await self._stack.enter_async_context(creating)
                    self._clients[key] = client
        return client

    async def aclose(self) -> None:
        self._clients.clear()
        await self._stack.aclose()
