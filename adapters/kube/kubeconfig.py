"""The ``kubeconfig`` backend: one context of a kubeconfig file per registry entry.

Loading goes through kubernetes_asyncio's own loader, so every user shape it knows
works: bearer tokens and token files, client certificates, CA data or files, and
exec credential plugins (re-run when their token expires, as kubectl does).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import yaml
from kubernetes_asyncio.client import Configuration
from kubernetes_asyncio.config.kube_config import KubeConfigLoader

from periscope_adapters.kube._transport import KubeAsyncioTransport
from periscope_core.domain.clusters import ClusterEntry
from periscope_core.domain.errors import ClusterUnreachable, ConfigError, ConfigProblem
from periscope_core.ports.backends import BackendContext, ClusterBackend
from periscope_core.ports.transport import ClusterTransport

__all__ = ["KubeconfigBackend", "load_kubeconfig"]


class _ExecRefresh:
    """Keeps an exec plugin's token fresh; one plugin run at a time, however many requests wait."""

    def __init__(self, loader: KubeConfigLoader) -> None:
        self._loader = loader
        self._lock = asyncio.Lock()

    async def __call__(self, configuration: Configuration) -> None:
        # Without an expirationTimestamp the credential holds until restart (kubectl caches it too).
        if getattr(self._loader, "exec_plugin_expiry", None) is None:
            return
        async with self._lock:
            await self._loader.load_from_exec_plugin()  # a no-op while the token is still valid
        configuration.api_key["BearerToken"] = self._loader.token


def _problem(path: str, entry: str, field: str, message: str) -> ConfigError:
    return ConfigError([ConfigProblem(file=path, entry=entry, field=field, message=message)])


def _named(items: Any, name: str) -> dict[str, Any] | None:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("name") == name:
            return item
    return None


def _resolve(path: str, base_dir: str) -> str:
    return os.path.abspath(os.path.join(base_dir, os.path.expanduser(path)))


def _read(path: str, entry: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise _problem(path, entry, "kubeconfigPath", "kubeconfig file not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _problem(path, entry, "kubeconfigPath", f"cannot read the kubeconfig: {exc}") from exc
    if not isinstance(data, dict):
        raise _problem(path, entry, "kubeconfigPath", "not a kubeconfig (expected a mapping)")
    return data


async def load_kubeconfig(path: str, context: str = "", *, entry: str = "") -> Configuration:
    """A client Configuration for one context (``""`` = the file's current-context).

    Raises ConfigError naming the file and context when the file or the context is
    unusable, ClusterUnreachable when an exec credential plugin fails.
    """
    data = _read(path, entry)
    name = context or str(data.get("current-context") or "")
    if not name:
        raise _problem(path, entry, "kubeconfigContext", "no context given and the file has no current-context")
    ctx = _named(data.get("contexts"), name)
    if ctx is None:
        known = sorted(str(c.get("name")) for c in data.get("contexts") or [] if isinstance(c, dict))
        raise _problem(
            path, entry, "kubeconfigContext",
            f"context {name!r} not found (available: {', '.join(known) or 'none'})",
        )
    user_name = (ctx.get("context") or {}).get("user", "")
    uses_exec = "exec" in ((_named(data.get("users"), user_name) or {}).get("user") or {})
    configuration = Configuration()
    try:
        loader = KubeConfigLoader(
            config_dict=data, active_context=name, config_base_path=os.path.dirname(_resolve(path, "."))
        )
        await loader.load_and_set(configuration)
    except Exception as exc:  # the loader fails in many shapes (asserts, KeyError, ConfigException)
        message = f"context {name!r}: {str(exc) or type(exc).__name__}"
        if uses_exec:
            raise ClusterUnreachable(f"{path}: {message}: the credential plugin failed") from exc
        raise _problem(path, entry, "kubeconfigContext", message) from exc
    if uses_exec:
        configuration.refresh_api_key_hook = _ExecRefresh(loader)
    return configuration


class KubeconfigBackend(ClusterBackend):
    """Reaches clusters named by ``kubeconfigPath`` (+ optional ``kubeconfigContext``)."""

    name = "kubeconfig"

    def validate(self, entry: ClusterEntry) -> list[tuple[str, str]]:
        if not entry.kubeconfigPath:
            return [("kubeconfigPath", "required for the kubeconfig backend")]
        return []

    async def connect(self, entry: ClusterEntry, context: BackendContext) -> ClusterTransport:
        path = _resolve(entry.kubeconfigPath, context.registry_dir)
        configuration = await load_kubeconfig(path, entry.kubeconfigContext, entry=entry.name)
        try:
            return KubeAsyncioTransport(configuration)
        except OSError as exc:  # ssl.SSLError included: an unusable CA, certificate or key
            raise _problem(path, entry.name, "kubeconfigContext", f"unusable TLS material: {exc}") from exc
