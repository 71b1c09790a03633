"""Rows for nodes, namespaces, services, events, secrets and config maps.

Secret and config map rows name their keys and never carry a value: the wire
shapes read secret data as ``msgspec.Raw`` so values are not even decoded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from periscope_core.services.projections._base import Projection, Summary, WireObject, common

# nodes


class _Condition(msgspec.Struct):
    type: str = ""
    status: str = ""


class _Address(msgspec.Struct):
    type: str = ""
    address: str = ""


class _NodeInfo(msgspec.Struct, rename="camel"):
    kubelet_version: str = ""


class _NodeStatus(msgspec.Struct, rename="camel"):
    conditions: list[_Condition] | None = None
    addresses: list[_Address] | None = None
    capacity: dict[str, str] | None = None
    node_info: _NodeInfo = msgspec.field(default_factory=_NodeInfo)


class _NodeSpec(msgspec.Struct):
    unschedulable: bool | None = None


class _Node(WireObject):
    spec: _NodeSpec = msgspec.field(default_factory=_NodeSpec)
    status: _NodeStatus = msgspec.field(default_factory=_NodeStatus)


class NodeSummary(Summary):
    ready: bool = False
    status: str = ""
    """As ``kubectl get nodes`` prints it: Ready, NotReady, Ready,SchedulingDisabled..."""
    roles: list[str] = []
    kubelet_version: str = ""
    unschedulable: bool = False
    internal_ip: str = msgspec.field(default="", name="internalIP")
    capacity: dict[str, str] = {}


_ROLE_PREFIX = "node-role.kubernetes.io/"


def _node(node: _Node) -> NodeSummary:
    labels = node.metadata.labels or {}
    roles = sorted(key.removeprefix(_ROLE_PREFIX) for key in labels if key.startswith(_ROLE_PREFIX))
    if not roles and labels.get("kubernetes.io/role"):
        roles = [labels["kubernetes.io/role"]]
    ready_status = next((c.status for c in node.status.conditions or () if c.type == "Ready"), "Unknown")
    status = {"True": "Ready", "False": "NotReady"}.get(ready_status, "Unknown")
    unschedulable = bool(node.spec.unschedulable)
    if unschedulable:
        status += ",SchedulingDisabled"
    return NodeSummary(
        **common(node.metadata),
        ready=ready_status == "True",
        status=status,
        roles=roles,
        kubelet_version=node.status.node_info.kubelet_version,
        unschedulable=unschedulable,
        internal_ip=next((a.address for a in node.status.addresses or () if a.type == "InternalIP"), ""),
        capacity=node.status.capacity or {},
    )


# namespaces


class _Phase(msgspec.Struct):
    phase: str = ""


class _Namespace(WireObject):
    status: _Phase = msgspec.field(default_factory=_Phase)


class NamespaceSummary(Summary):
    phase: str = ""


def _namespace(ns: _Namespace) -> NamespaceSummary:
    return NamespaceSummary(**common(ns.metadata), phase=ns.status.phase)


# services


class ServicePort(msgspec.Struct, rename="camel", omit_defaults=True):
    port: int = 0
    protocol: str = "TCP"
    name: str = ""
    target_port: int | str | None = None
    node_port: int | None = None


class _ServiceSpec(msgspec.Struct, rename="camel"):
    type: str = "ClusterIP"
    cluster_ip: str = msgspec.field(default="", name="clusterIP")
    external_ips: list[str] | None = msgspec.field(default=None, name="externalIPs")
    ports: list[ServicePort] | None = None


class _Ingress(msgspec.Struct):
    ip: str = ""
    hostname: str = ""


class _LoadBalancer(msgspec.Struct):
    ingress: list[_Ingress] | None = None


class _ServiceStatus(msgspec.Struct, rename="camel"):
    load_balancer: _LoadBalancer = msgspec.field(default_factory=_LoadBalancer)


class _Service(WireObject):
    spec: _ServiceSpec = msgspec.field(default_factory=_ServiceSpec)
    status: _ServiceStatus = msgspec.field(default_factory=_ServiceStatus)


class ServiceSummary(Summary):
    type: str = ""
    cluster_ip: str = msgspec.field(default="", name="clusterIP")
    external_ips: list[str] = msgspec.field(default_factory=list, name="externalIPs")
    ports: list[ServicePort] = []


def _service(svc: _Service) -> ServiceSummary:
    external = list(svc.spec.external_ips or ())
    external += [i.ip or i.hostname for i in svc.status.load_balancer.ingress or ()]
    return ServiceSummary(
        **common(svc.metadata),
        type=svc.spec.type,
        cluster_ip=svc.spec.cluster_ip,
        external_ips=external,
        ports=svc.spec.ports or [],
    )


# events


class ObjectRef(msgspec.Struct, rename="camel", omit_defaults=True):
    kind: str = ""
    name: str = ""
    namespace: str = ""
    uid: str = ""
    api_version: str = ""


class _Series(msgspec.Struct, rename="camel"):
    last_observed_time: str | None = None
    count: int | None = None


class _Source(msgspec.Struct):
    component: str | None = None


class _Event(WireObject, rename="camel"):
    type: str | None = None
    reason: str | None = None
    message: str | None = None
    involved_object: ObjectRef = msgspec.field(default_factory=ObjectRef)
    count: int | None = None
    first_timestamp: str | None = None
    last_timestamp: str | None = None
    event_time: str | None = None
    series: _Series | None = None
    source: _Source | None = None
    reporting_component: str | None = None


class EventSummary(Summary):
    type: str = ""
    reason: str = ""
    message: str = ""
    involved_object: ObjectRef = msgspec.field(default_factory=ObjectRef)
    count: int = 1
    last_timestamp: str = ""
    """When it last happened, whichever of the several timestamp fields the reporter filled."""
    source: str = ""


def _event(ev: _Event) -> EventSummary:
    series = ev.series or _Series()
    last = ev.last_timestamp or series.last_observed_time or ev.event_time or ev.first_timestamp
    return EventSummary(
        **common(ev.metadata),
        type=ev.type or "",
        reason=ev.reason or "",
        message=ev.message or "",
        involved_object=ev.involved_object,
        count=ev.count or series.count or 1,
        last_timestamp=last or ev.metadata.creation_timestamp or "",
        source=(ev.source.component if ev.source else None) or ev.reporting_component or "",
    )


_NEVER = datetime.min.replace(tzinfo=UTC)


def event_time(row: EventSummary) -> datetime:
    """The sort key for newest-first event lists (unparsable times sort oldest)."""
    try:
        return datetime.fromisoformat(row.last_timestamp)
    except ValueError:
        return _NEVER


# secrets and config maps


class _Secret(WireObject, rename="camel"):
    type: str = ""
    data: dict[str, msgspec.Raw] | None = None


class SecretSummary(Summary):
    type: str = ""
    keys: list[str] = []
    """Key names only; values never leave the server in a list."""


def _secret(secret: _Secret) -> SecretSummary:
    return SecretSummary(**common(secret.metadata), type=secret.type, keys=sorted(secret.data or ()))


class _ConfigMap(WireObject, rename="camel"):
    data: dict[str, msgspec.Raw] | None = None
    binary_data: dict[str, msgspec.Raw] | None = None


class ConfigMapSummary(Summary):
    keys: list[str] = []


def _configmap(cm: _ConfigMap) -> ConfigMapSummary:
    return ConfigMapSummary(**common(cm.metadata), keys=sorted({*(cm.data or ()), *(cm.binary_data or ())}))


RESOURCE_PROJECTIONS: dict[str, Projection[Any]] = {
    "nodes": Projection(_Node, _node),
    "namespaces": Projection(_Namespace, _namespace),
    "services": Projection(_Service, _service),
    "events": Projection(_Event, _event),
    "secrets": Projection(_Secret, _secret),
    "configmaps": Projection(_ConfigMap, _configmap),
}
