"""Resource addressing and the registry of kinds the console knows by name."""

from __future__ import annotations

from urllib.parse import quote

import msgspec

from periscope_core.domain.errors import InvalidRequest


class GroupVersionResource(msgspec.Struct, frozen=True):
    group: str
    version: str
    resource: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, *, namespace: str | None = None, name: str | None = None, subresource: str = "") -> str:
        """The apiserver URL path. Every segment is quoted and none may be a dot segment, so no part
        (a custom resource's group or plural from a URL, a name) can move the request elsewhere:
        ``secrets%3Fx=`` must not become a list of every Secret. Raises InvalidRequest."""
        version = _segment(self.version)
        base = f"/apis/{_segment(self.group)}/{version}" if self.group else f"/api/{version}"
        if namespace:
            base += f"/namespaces/{_segment(namespace)}"
        base += f"/{_segment(self.resource)}"
        if name:
            base += f"/{_segment(name)}"
            if subresource:
                base += f"/{_segment(subresource)}"
        return base


def _segment(value: str) -> str:
    if value in (".", ".."):
        raise InvalidRequest(f"{value!r} is not a valid name")
    return quote(value, safe="")


class KindSpec(msgspec.Struct, frozen=True):
    """A kind the console serves under a short, stable plural (``/api/clusters/c/pvcs``)."""

    plural: str
    kind: str
    gvr: GroupVersionResource
    namespaced: bool
    watch_group: str = ""  # the PERISCOPE_WATCH_STREAMS alias; "" = not streamed


def _k(plural: str, kind: str, group: str, version: str, resource: str, namespaced: bool, watch: str = "") -> KindSpec:
    return KindSpec(plural, kind, GroupVersionResource(group, version, resource), namespaced, watch)


# The original product's 30 list kinds plus events, in its order. Plurals that differ
# from the Kubernetes resource name (pvcs, pvs) are the console's public names.
KINDS: tuple[KindSpec, ...] = (
    _k("nodes", "Node", "", "v1", "nodes", False, "cluster"),
    _k("namespaces", "Namespace", "", "v1", "namespaces", False, "cluster"),
    _k("pods", "Pod", "", "v1", "pods", True, "core"),
    _k("deployments", "Deployment", "apps", "v1", "deployments", True, "workloads"),
    _k("statefulsets", "StatefulSet", "apps", "v1", "statefulsets", True, "workloads"),
    _k("daemonsets", "DaemonSet", "apps", "v1", "daemonsets", True, "workloads"),
    _k("replicasets", "ReplicaSet", "apps", "v1", "replicasets", True, "workloads"),
    _k("services", "Service", "", "v1", "services", True, "networking"),
    _k("ingresses", "Ingress", "networking.k8s.io", "v1", "ingresses", True, "networking"),
    _k("configmaps", "ConfigMap", "", "v1", "configmaps", True),
    _k("secrets", "Secret", "", "v1", "secrets", True),
    _k("jobs", "Job", "batch", "v1", "jobs", True, "workloads"),
    _k("cronjobs", "CronJob", "batch", "v1", "cronjobs", True, "workloads"),
    _k("pvcs", "PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", True, "storage"),
    _k("pvs", "PersistentVolume", "", "v1", "persistentvolumes", False, "storage"),
    _k("storageclasses", "StorageClass", "storage.k8s.io", "v1", "storageclasses", False, "storage"),
    _k("roles", "Role", "rbac.authorization.k8s.io", "v1", "roles", True),
    _k("clusterroles", "ClusterRole", "rbac.authorization.k8s.io", "v1", "clusterroles", False),
    _k("rolebindings", "RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings", True),
    _k("clusterrolebindings", "ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "clusterrolebindings", False),
    _k("serviceaccounts", "ServiceAccount", "", "v1", "serviceaccounts", True),
    _k("horizontalpodautoscalers", "HorizontalPodAutoscaler", "autoscaling", "v2",
       "horizontalpodautoscalers", True, "workloads"),
    _k("poddisruptionbudgets", "PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets", True, "workloads"),
    _k("networkpolicies", "NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", True, "networking"),
    _k("endpointslices", "EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", True, "networking"),
    _k("resourcequotas", "ResourceQuota", "", "v1", "resourcequotas", True),
    _k("limitranges", "LimitRange", "", "v1", "limitranges", True),
    _k("ingressclasses", "IngressClass", "networking.k8s.io", "v1", "ingressclasses", False, "networking"),
    _k("priorityclasses", "PriorityClass", "scheduling.k8s.io", "v1", "priorityclasses", False, "cluster"),
    _k("runtimeclasses", "RuntimeClass", "node.k8s.io", "v1", "runtimeclasses", False, "cluster"),
    _k("events", "Event", "", "v1", "events", True, "core"),
)

_BY_PLURAL = {k.plural: k for k in KINDS}
CRD_GVR = GroupVersionResource("apiextensions.k8s.io", "v1", "customresourcedefinitions")


def kind_by_plural(plural: str) -> KindSpec | None:
    return _BY_PLURAL.get(plural)
