"""What a sandbox container looks like from the inside: its image family and files.

The image name decides what exists, as it would on a node: a ``distroless`` image has
no shell and no tools at all, ``busybox`` and ``alpine`` have ``sh`` but no ``bash``,
anything else is a Debian-like image with both. The filesystem is read-only and built
from the pod, so ``cat /etc/hostname`` or ``env`` tell the truth about the pod.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["RootFs", "container_env", "image_family"]

TOOLS = (
    "cat", "date", "echo", "env", "false", "hostname", "id", "ls", "printf", "ps", "pwd",
    "sleep", "stty", "true", "uname", "whoami",
)  # fmt: skip

_OS_RELEASE = {
    "alpine": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n',
    "busybox": 'NAME="BusyBox"\nID=busybox\nVERSION_ID=1.36.1\nPRETTY_NAME="BusyBox v1.36.1"\n',
    "debian": (
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
        'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
    ),
    "distroless": 'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\n',
}


def image_family(image: str) -> str:
    """``distroless``, ``busybox``, ``alpine`` or ``debian``."""
    name = image.lower()
    for family in ("distroless", "busybox", "alpine"):
        if family in name:
            return family
    return "debian"


def executables(family: str) -> frozenset[str]:
    """The programs found on ``$PATH`` in an image of this family."""
    if family == "distroless":
        return frozenset()
    shells = {"sh"} if family in ("busybox", "alpine") else {"sh", "bash"}
    return frozenset(TOOLS) | shells


def container_env(pod: Mapping[str, Any], container: Mapping[str, Any]) -> dict[str, str]:
    """The container's environment as the kubelet would set it (literal values and fieldRefs)."""
    meta, status = pod.get("metadata", {}), pod.get("status", {})
    fields = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "spec.nodeName": pod.get("spec", {}).get("nodeName", ""),
        "spec.serviceAccountName": pod.get("spec", {}).get("serviceAccountName", "default"),
        "status.podIP": status.get("podIP", ""),
        "status.hostIP": status.get("hostIP", ""),
    }
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME": hostname(pod),
        "HOME": "/root",
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
    }
    for item in container.get("env") or ():
        if "value" in item:
            env[item["name"]] = str(item["value"])
        else:
            path = ((item.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath", "")
            if path in fields:
                env[item["name"]] = fields[path]
    return env


def hostname(pod: Mapping[str, Any]) -> str:
    return str(pod.get("spec", {}).get("hostname") or pod.get("metadata", {}).get("name", "localhost"))


class RootFs:
    """A read-only file tree: absolute path -> content; directories are implied by paths."""

    def __init__(self, pod: Mapping[str, Any], container: Mapping[str, Any]) -> None:
        meta = pod.get("metadata", {})
        namespace = meta.get("namespace", "default")
        family = image_family(str(container.get("image", "")))
        host = hostname(pod)
        argv = [*(container.get("command") or ["/app/server"]), *(container.get("args") or [])]
        image = str(container.get("image", ""))
        self.files: dict[str, str] = {
            "/etc/hostname": host + "\n",
            "/etc/hosts": f"127.0.0.1\tlocalhost\n{pod.get('status', {}).get('podIP', '')}\t{host}\n",
            "/etc/os-release": _OS_RELEASE[family],
            "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
            "/etc/resolv.conf": (
                f"search {namespace}.svc.cluster.local svc.cluster.local cluster.local\n"
                "nameserver 10.96.0.10\noptions ndots:5\n"
            ),
            "/proc/1/cmdline": "\0".join(argv) + "\0",
            "/proc/version": "Linux version 6.6.0-sandbox (periscope@sandbox) #1 SMP PREEMPT_DYNAMIC\n",
            "/app/VERSION": (image.rpartition(":")[2] if ":" in image else "latest") + "\n",
            "/app/config.yaml": f"name: {meta.get('name', '')}\nnamespace: {namespace}\nlogLevel: info\n",
            "/var/run/secrets/kubernetes.io/serviceaccount/namespace": namespace,
        }
        self.dirs: set[str] = {"/", "/tmp", "/root", "/home", "/var", "/usr", "/usr/bin"}
        self.dirs.update(self._parents(self.files))
        self.dirs.add("/bin")
        self.files.update({f"/bin/{name}": "" for name in executables(family)})

    @staticmethod
    def _parents(paths: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for path in paths:
            parent = posixpath.dirname(path)
            while parent not in out and parent != "/":
                out.add(parent)
                parent = posixpath.dirname(parent)
        return out

    def is_dir(self, path: str) -> bool:
        return path in self.dirs

    def read(self, path: str) -> str | None:
        return self.files.get(path)

    def listdir(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        names = {p[len(prefix) :].split("/", 1)[0] for p in (*self.files, *self.dirs) if p.startswith(prefix)}
        return sorted(n for n in names if n)
