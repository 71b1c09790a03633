"""Kubeconfig and cluster-registry files that point real clients at a sandbox fleet."""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import yaml

__all__ = ["KubeconfigEntry", "RegistryEntry", "kubeconfig_document", "write_private", "write_registry_file"]


class KubeconfigEntry(msgspec.Struct, frozen=True):
    """One context: a server, the CA to trust and one user's credentials."""

    context: str
    cluster: str
    server: str
    user: str
    ca_pem: bytes | None = None
    token: str = ""
    client_cert_pem: bytes = b""
    client_key_pem: bytes = b""
    namespace: str = ""


class RegistryEntry(msgspec.Struct, frozen=True):
    name: str
    context: str
    environment: str = ""
    tags: dict[str, str] = {}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig_document(entries: Sequence[KubeconfigEntry], *, current: str = "") -> dict[str, Any]:
    """A ``kind: Config`` document with one cluster, user and context per entry."""
    clusters: dict[str, dict[str, Any]] = {}
    users: dict[str, dict[str, Any]] = {}
    contexts = []
    for e in entries:
        cluster: dict[str, Any] = {"server": e.server}
        if e.ca_pem:
            cluster["certificate-authority-data"] = _b64(e.ca_pem)
        clusters[e.cluster] = cluster
        user: dict[str, Any] = {}
        if e.token:
            user["token"] = e.token
        if e.client_cert_pem:
            user["client-certificate-data"] = _b64(e.client_cert_pem)
            user["client-key-data"] = _b64(e.client_key_pem)
        users[e.user] = user
        context = {"cluster": e.cluster, "user": e.user}
        if e.namespace:
            context["namespace"] = e.namespace
        contexts.append({"name": e.context, "context": context})
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": n, "cluster": c} for n, c in clusters.items()],
        "users": [{"name": n, "user": u} for n, u in users.items()],
        "contexts": contexts,
        "current-context": current or (entries[0].context if entries else ""),
    }


def write_private(path: str | os.PathLike[str], document: dict[str, Any]) -> Path:
    """Write YAML readable by the owner only: a kubeconfig holds credentials."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        yaml.safe_dump(document, f, sort_keys=False)
    return target


def write_registry_file(
    path: str | os.PathLike[str], kubeconfig_path: str | os.PathLike[str], entries: Sequence[RegistryEntry]
) -> Path:
    """A Periscope cluster registry listing each context as a ``kubeconfig`` backend cluster."""
    clusters = []
    for e in entries:
        item: dict[str, Any] = {
            "name": e.name,
            "backend": "kubeconfig",
            "kubeconfigPath": str(Path(kubeconfig_path).resolve()),
            "kubeconfigContext": e.context,
        }
        if e.environment:
            item["environment"] = e.environment
        if e.tags:
            item["tags"] = dict(e.tags)
        clusters.append(item)
    return write_private(path, {"clusters": clusters})
