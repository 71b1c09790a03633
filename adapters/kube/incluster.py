"""The ``in-cluster`` backend: the pod's own service account.

Projected service-account tokens rotate (the kubelet swaps the file well before
expiry), so the token is not read once at start: the file is checked again at
most every ``recheck_seconds`` and re-read whenever it changed.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping

from kubernetes_asyncio.client import Configuration

from periscope_adapters.kube._transport import KubeAsyncioTransport
from periscope_core.domain.clusters import ClusterEntry
from periscope_core.domain.errors import ConfigError, ConfigProblem
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.ports.transport import ClusterTransport

__all__ = ["SERVICE_ACCOUNT_DIR", "InClusterBackend", "RotatingToken"]

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class RotatingToken:
    """A bearer token file, re-read when its identity (inode, mtime, size) changes."""

    def __init__(self, path: str, *, recheck_seconds: float = 1.0) -> None:
        self._path = path
        self._recheck = recheck_seconds
        self._stamp: tuple[int, int, int] | None = None
        self._checked = -math.inf
        self._value = ""
        self._reload()

    @property
    def value(self) -> str:
        return self._value

    def _reload(self) -> None:
        """Raises OSError when unreadable, ValueError when empty."""
        st = os.stat(self._path)
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        with open(self._path, encoding="utf-8") as handle:
            token = handle.read().strip()
        if not token:
            raise ValueError(f"{self._path} is empty")
        self._value, self._stamp = token, stamp

    def refresh(self, configuration: Configuration) -> None:
        """The configuration's ``refresh_api_key_hook``: runs before every request."""
        now = time.monotonic()
        if now - self._checked >= self._recheck:
            self._checked = now
            try:
                self._reload()
            except (OSError, ValueError):
                pass  # caught mid-rotation: keep the token we have until the next check
        configuration.api_key["BearerToken"] = f"Bearer {self._value}"


def _problem(file: str, entry: str, message: str, field: str = "") -> ConfigError:
    return ConfigError([ConfigProblem(file=file, entry=entry, field=field, message=message)])


class InClusterBackend(ClusterBackend):
    """Reaches the cluster Periscope runs in; the paths and environment are injectable for tests."""

    name = "in-cluster"

    def __init__(
        self,
        *,
        token_path: str = f"{SERVICE_ACCOUNT_DIR}/token",
        ca_path: str = f"{SERVICE_ACCOUNT_DIR}/ca.crt",
        environ: Mapping[str, str] | None = None,
        recheck_seconds: float = 1.0,
    ) -> None:
        self._token_path = token_path
        self._ca_path = ca_path
        self._environ = environ
        self._recheck = recheck_seconds

    def _server(self, entry: str) -> str:
        env = os.environ if self._environ is None else self._environ
        host, port = env.get("KUBERNETES_SERVICE_HOST", ""), env.get("KUBERNETES_SERVICE_PORT", "")
        for key, value in (("KUBERNETES_SERVICE_HOST", host), ("KUBERNETES_SERVICE_PORT", port)):
            if not value:
                raise _problem("environment", entry, "not set; the in-cluster backend works only in a pod", key)
        return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"

    async def connect(self, entry: ClusterEntry, context: BackendContext) -> ClusterTransport:
        configuration = Configuration(host=self._server(entry.name), ssl_ca_cert=self._ca_path)
        try:
            token = RotatingToken(self._token_path, recheck_seconds=self._recheck)
        except (OSError, ValueError) as exc:
            raise _problem(self._token_path, entry.name, f"no service-account token: {exc}") from exc
        configuration.api_key["BearerToken"] = f"Bearer {token.value}"
        configuration.refresh_api_key_hook = token.refresh
        try:
            return KubeAsyncioTransport(configuration)
        except OSError as exc:  # a missing or unparsable CA bundle (ssl.SSLError is an OSError)
            raise _problem(self._ca_path, entry.name, f"unusable service-account CA: {exc}") from exc
