"""Cluster backends over kubernetes_asyncio: kubeconfig contexts and the in-cluster service account."""

from periscope_adapters.kube._transport import KubeAsyncioTransport
from periscope_adapters.kube.incluster import InClusterBackend, RotatingToken
from periscope_adapters.kube.kubeconfig import KubeconfigBackend, load_kubeconfig

__all__ = ["InClusterBackend", "KubeAsyncioTransport", "KubeconfigBackend", "RotatingToken", "load_kubeconfig"]
