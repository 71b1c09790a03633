"""The cluster's OpenAPI v3 documents, for the editor's validation and completion.

Documents are fetched as the caller and cached per cluster and identity (a caller
may see a different API surface than the bridge, and the original filled one
global cache under whoever asked first). The cache is bounded in entries and in
bytes, and entries expire, so new CRDs show up without a restart.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable

from periscope_core.domain.errors import InvalidRequest
from periscope_core.domain.identity import BRIDGE, Impersonation
from periscope_core.services.directory import ClusterDirectory

__all__ = ["OpenApiProxy", "openapi_path"]

# Segments as discovery names them (api/v1, apis/apps/v1, .well-known/...); nothing
# that could climb out of /openapi/v3 or smuggle a query.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$|^\.well-known$")


def openapi_path(path: str) -> str:
    """The upstream path for ``path`` under ``/openapi/v3``; InvalidRequest for anything else."""
    path = path.strip("/")
    if not path:
        return "/openapi/v3"
    segments = path.split("/")
    if not all(_SEGMENT.match(s) for s in segments):
        raise InvalidRequest(f"not an OpenAPI v3 document path: {path!r}")
    return "/openapi/v3/" + "/".join(segments)


class OpenApiProxy:
    """Cached, per-identity reads of ``/openapi/v3`` and its group-version documents."""

    def __init__(
        self,
        directory: ClusterDirectory,
        *,
        ttl: float = 300.0,
        max_entries: int = 256,
        max_bytes: int = 64 << 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._ttl, self._max_entries, self._max_bytes, self._clock = ttl, max_entries, max_bytes, clock
        self._entries: OrderedDict[tuple[str, str, str], tuple[float, bytes]] = OrderedDict()
        self._bytes = 0

    async def document(self, cluster: str, path: str = "", *, as_: Impersonation = BRIDGE) -> bytes:
        """The JSON document at ``/openapi/v3/<path>`` (the index for an empty path).

        Raises InvalidRequest for a path outside ``/openapi/v3``, ClusterNotFound,
        and the apiserver's errors (which are not cached).
        """
        upstream = openapi_path(path)
        key = (cluster, as_.cache_key(), upstream)
        cached = self._entries.get(key)
        if cached is not None and cached[0] > self._clock():
            self._entries.move_to_end(key)
            return cached[1]
        client = await self._directory.client(cluster)
        body = await client.request("GET", upstream, as_=as_)
        self._store(key, body)
        return body

    def _store(self, key: tuple[str, str, str], body: bytes) -> None:
        self._drop(key)
        if self._ttl <= 0 or len(body) > self._max_bytes:
            return
        self._entries[key] = (self._clock() + self._ttl, body)
        self._bytes += len(body)
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple[str, str, str]) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1])
