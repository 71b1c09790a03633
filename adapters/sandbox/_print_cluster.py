"""Table printers for everything but workloads: services, networking, storage, nodes, config,
events, access control, policy and scheduling kinds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ._print_util import (
    AGE,
    NAME,
    Cells,
    Obj,
    Printer,
    age,
    col,
    condition,
    created,
    format_labels,
    format_selector,
    get,
    items,
    name_of,
    with_more,
)

__all__ = ["CLUSTER_PRINTERS"]


def _service_cells(o: Obj, now: datetime) -> Cells:
    spec = o.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    cluster_ip = get(spec, "clusterIPs", 0) or spec.get("clusterIP") or "<none>"
    external = ",".join(spec.get("externalIPs") or ())
    if kind == "LoadBalancer":
        balancers = _load_balancer(get(o, "status", "loadBalancer"))
        external = ",".join(filter(None, (balancers, external))) or "<pending>"
    elif kind == "ExternalName":
        external = spec.get("externalName", "")
    elif kind not in ("ClusterIP", "NodePort"):
        external = "<unknown>"
    ports = ",".join(
        f"{p.get('port')}:{p['nodePort']}/{p.get('protocol', 'TCP')}" if p.get("nodePort")
        else f"{p.get('port')}/{p.get('protocol', 'TCP')}"
        for p in items(spec, "ports")
    )
    return [name_of(o), kind, cluster_ip, external or "<none>", ports or "<none>", created(o, now),
            format_labels(spec.get("selector"))]


def _load_balancer(status: Any) -> str:
    """Unique ingress IPs (or hostnames), sorted, as the wide output shows them."""
    return ",".join(sorted({i.get("ip") or i.get("hostname") for i in items(status, "ingress")} - {None, ""}))


def _ingress_cells(o: Obj, now: datetime) -> Cells:
    spec = o.get("spec") or {}
    rules = items(spec, "rules")
    hosts: list[str] = []
    more = False
    for rule in rules:  # formatHosts: the first three hosts, then a count of the remaining rules
        more = more or len(hosts) == 3
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    host_text = ",".join(hosts) or "*"
    if more and hosts:
        host_text += f" + {len(rules) - 3} more..."
    return [name_of(o), spec.get("ingressClassName") or "<none>", host_text,
            _load_balancer(get(o, "status", "loadBalancer")), "80, 443" if spec.get("tls") else "80",
            created(o, now)]


def _ingress_class_cells(o: Obj, now: datetime) -> Cells:
    params = get(o, "spec", "parameters")
    shown = "<none>"
    if params:
        group = f".{params['apiGroup']}" if params.get("apiGroup") else ""
        shown = f"{params.get('kind', '')}{group}/{params.get('name', '')}"
    return [name_of(o), get(o, "spec", "controller") or "", shown, created(o, now)]


def _endpoints_cells(o: Obj, now: datetime) -> Cells:
    shown: list[str] = []
    total = 0
    subsets = items(o, "subsets")
    for subset in subsets:
        ips = [a.get("ip", "") for a in items(subset, "addresses")]
        ports = items(subset, "ports") or [None]
        for port in ports:
            total += len(ips)
            shown += [ip if port is None else _host_port(ip, port.get("port")) for ip in ips]
    return [name_of(o), with_more(shown, 3, total, "") if subsets else "<none>", created(o, now)]


def _host_port(ip: str, port: Any) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _endpoint_slice_cells(o: Obj, now: datetime) -> Cells:
    ports = [str(p["port"] if p.get("port") is not None else p.get("name") or "*") for p in items(o, "ports")]
    addresses = [a for e in items(o, "endpoints") for a in e.get("addresses") or ()]
    return [name_of(o), o.get("addressType", ""), with_more(ports, 3, len(ports)),
            with_more(addresses, 3, len(addresses)), created(o, now)]


def _network_policy_cells(o: Obj, now: datetime) -> Cells:
    return [name_of(o), format_selector(get(o, "spec", "podSelector")), created(o, now)]


def _node_cells(o: Obj, now: datetime) -> Cells:
    ready = condition(items(o, "status", "conditions"), "Ready")
    state = ["Unknown" if ready is None else "Ready" if ready == "True" else "NotReady"]
    if get(o, "spec", "unschedulable"):
        state.append("SchedulingDisabled")
    roles = set()
    for key, value in (get(o, "metadata", "labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key.removeprefix("node-role.kubernetes.io/"):
            roles.add(key.removeprefix("node-role.kubernetes.io/"))
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    info = get(o, "status", "nodeInfo") or {}
    addresses = items(o, "status", "addresses")

    def address(kind: str) -> str:
        return next((a.get("address", "") for a in addresses if a.get("type") == kind), "<none>")

    return [
        name_of(o), ",".join(state), ",".join(sorted(roles)) or "<none>", created(o, now),
        info.get("kubeletVersion", ""), address("InternalIP"), address("ExternalIP"),
        info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


_ACCESS_MODES = {
    "ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP",
}


def _access_modes(modes: Any) -> str:
    return ",".join(short for mode, short in _ACCESS_MODES.items() if mode in (modes or ()))


def _storage_class(o: Obj) -> str:
    annotated = (get(o, "metadata", "annotations") or {}).get("volume.beta.kubernetes.io/storage-class")
    return str(annotated or get(o, "spec", "storageClassName") or "")


def _volume_cells(o: Obj, now: datetime) -> Cells:
    spec = o.get("spec") or {}
    claim = spec.get("claimRef")
    phase = get(o, "status", "phase") or "Pending"
    if get(o, "metadata", "deletionTimestamp"):
        phase = "Terminating"
    return [
        name_of(o), str(get(spec, "capacity", "storage") or "0"), _access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy") or "Retain", phase,
        f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "", _storage_class(o),
        spec.get("volumeAttributesClassName") or "<unset>", get(o, "status", "reason") or "", created(o, now),
        spec.get("volumeMode") or "Filesystem",
    ]


def _claim_cells(o: Obj, now: datetime) -> Cells:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    phase = "Terminating" if get(o, "metadata", "deletionTimestamp") else status.get("phase") or "Pending"
    # Capacity and access modes are only shown once the claim is bound to a volume.
    bound = bool(spec.get("volumeName"))
    capacity = str(get(status, "capacity", "storage") or "") if bound else ""
    modes = _access_modes(status.get("accessModes")) if bound else ""
    return [
        name_of(o), phase, spec.get("volumeName", ""), capacity, modes, _storage_class(o),
        spec.get("volumeAttributesClassName") or "<unset>", created(o, now),
        spec.get("volumeMode") or "Filesystem",
    ]


_DEFAULT_CLASS = (
    "storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class",
)


def _storage_class_cells(o: Obj, now: datetime) -> Cells:
    annotations = get(o, "metadata", "annotations") or {}
    default = any(annotations.get(a) == "true" for a in _DEFAULT_CLASS)
    return [
        name_of(o) + (" (default)" if default else ""), o.get("provisioner", ""),
        o.get("reclaimPolicy") or "Delete", o.get("volumeBindingMode") or "Immediate",
        bool(o.get("allowVolumeExpansion")), created(o, now),
    ]


def _event_cells(o: Obj, now: datetime) -> Cells:
    """Core v1 events and events.k8s.io/v1 events (whose fields carry other names)."""
    regarding = o.get("involvedObject") or o.get("regarding") or {}
    first_seen = o.get("firstTimestamp") or o.get("deprecatedFirstTimestamp")
    first = age(first_seen, now) if first_seen else age(o.get("eventTime"), now)
    last_seen = o.get("lastTimestamp") or o.get("deprecatedLastTimestamp")
    last = age(last_seen, now) if last_seen else first
    count = o.get("count") or o.get("deprecatedCount") or 0
    if o.get("series"):
        last, count = age(get(o, "series", "lastObservedTime"), now), get(o, "series", "count") or 0
    source = o.get("source") or o.get("deprecatedSource") or {}
    component = source.get("component") or o.get("reportingController") or ""
    host = source.get("host") or o.get("reportingInstance") or ""
    kind = str(regarding.get("kind", "")).lower()
    target = f"{kind}/{regarding['name']}" if regarding.get("name") else kind
    return [
        last, o.get("type", ""), o.get("reason", ""), target, regarding.get("fieldPath", ""),
        f"{component}, {host}" if host else component, str(o.get("message") or o.get("note") or "").strip(),
        first, count or 1, name_of(o),
    ]


def _config_map_cells(o: Obj, now: datetime) -> Cells:
    return [name_of(o), len(o.get("data") or {}) + len(o.get("binaryData") or {}), created(o, now)]


def _secret_cells(o: Obj, now: datetime) -> Cells:
    return [name_of(o), o.get("type", "Opaque"), len(o.get("data") or {}), created(o, now)]


def _binding_cells(o: Obj, now: datetime) -> Cells:
    subjects = items(o, "subjects")

    def named(kind: str) -> str:
        return ", ".join(
            f"{s.get('namespace', '')}/{s.get('name', '')}" if kind == "ServiceAccount" else s.get("name", "")
            for s in subjects if s.get("kind") == kind
        )

    role = f"{get(o, 'roleRef', 'kind') or ''}/{get(o, 'roleRef', 'name') or ''}"
    return [name_of(o), role, created(o, now), named("User"), named("Group"), named("ServiceAccount")]


def _disruption_budget_cells(o: Obj, now: datetime) -> Cells:
    spec = o.get("spec") or {}
    bounds = [str(spec[k]) if spec.get(k) is not None else "N/A" for k in ("minAvailable", "maxUnavailable")]
    return [name_of(o), *bounds, get(o, "status", "disruptionsAllowed") or 0, created(o, now)]


def _metric(spec: Obj, status: Obj | None) -> str:
    """One HPA target as ``current/target``, following formatHPAMetrics."""
    kind = spec.get("type", "")
    if kind not in ("Resource", "ContainerResource", "Pods", "Object", "External"):
        return "<unknown type>"
    field_name = kind[:1].lower() + kind[1:]  # the member carrying this metric type's details
    target = get(spec, field_name, "target") or {}
    current = get(status, field_name, "current") or {}
    if kind in ("Resource", "ContainerResource") and target.get("averageValue") is None:
        shown, wanted = current.get("averageUtilization"), target.get("averageUtilization")
        shown_text = "<unknown>" if shown is None else f"{shown}%"
        return f"{shown_text}/{'<auto>' if wanted is None else f'{wanted}%'}"
    average = target.get("averageValue") is not None or kind == "Pods"
    value = "averageValue" if average else "value"
    suffix = " (avg)" if average and kind in ("Object", "External") else ""
    return f"{current.get(value) or '<unknown>'}/{target.get(value, '<nil>')}{suffix}"


def _autoscaler_cells(o: Obj, now: datetime) -> Cells:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    metrics, current = items(spec, "metrics"), items(status, "currentMetrics")
    targets = [_metric(m, current[i] if i < len(current) else None) for i, m in enumerate(metrics)]
    shown = ", ".join(targets[:2]) + (f" + {len(targets) - 2} more..." if len(targets) > 2 else "")
    ref = spec.get("scaleTargetRef") or {}
    minimum = spec.get("minReplicas")
    return [
        name_of(o), f"{ref.get('kind', '')}/{ref.get('name', '')}", shown or "<none>",
        "<unset>" if minimum is None else str(minimum), spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0), created(o, now),
    ]


def _quota_cells(o: Obj, now: datetime) -> Cells:
    hard, used = get(o, "status", "hard") or {}, get(o, "status", "used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        into = limits if resource.split(".")[0] == "limits" and "." in resource else requests
        into.append(f"{resource}: {used.get(resource, '0')}/{hard[resource]}")
    return [name_of(o), ", ".join(requests), ", ".join(limits), created(o, now)]


def _revision_cells(o: Obj, now: datetime) -> Cells:
    owner = next((r for r in items(o, "metadata", "ownerReferences") if r.get("controller")), None)
    controller = "<none>"
    if owner is not None:
        group = owner.get("apiVersion", "").rpartition("/")[0]
        group_kind = f"{owner.get('kind', '')}.{group}" if group else owner.get("kind", "")
        controller = f"{group_kind.lower()}/{owner.get('name', '')}"
    return [name_of(o), controller, o.get("revision", 0), created(o, now)]


def _simple(*fields: str) -> Any:
    """Cells of Name, the given top-level or spec fields (dotted), then Age."""

    def cells(o: Obj, now: datetime) -> Cells:
        return [name_of(o), *(get(o, *f.split(".")) or "" for f in fields), created(o, now)]

    return cells


def _priority_class_cells(o: Obj, now: datetime) -> Cells:
    return [name_of(o), o.get("value", 0), bool(o.get("globalDefault")), created(o, now),
            o.get("preemptionPolicy", "")]


_WHY = "Last time the event was observed."
CLUSTER_PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "Service"): Printer(
        (NAME, col("Type", "How the service is exposed."),
         col("Cluster-IP", "The IP address of the service."),
         col("External-IP", "External addresses that route to the service."),
         col("Port(s)", "The ports the service exposes."), AGE,
         col("Selector", "Labels of the pods the service routes to.", priority=1)), _service_cells),
    ("networking.k8s.io", "Ingress"): Printer(
        (NAME, col("Class", "The IngressClass handling this ingress."),
         col("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
         col("Address", "Address is a list containing ingress points for the load-balancer"),
         col("Ports", "Ports of TLS configurations that open"), AGE), _ingress_cells),
    ("networking.k8s.io", "IngressClass"): Printer(
        (NAME, col("Controller", "Controller that is responsible for handling this class"),
         col("Parameters", "A reference to a resource with additional parameters"), AGE),
        _ingress_class_cells),
    ("networking.k8s.io", "NetworkPolicy"): Printer(
        (NAME, col("Pod-Selector", "The pods the policy applies to."), AGE), _network_policy_cells),
    ("", "Endpoints"): Printer(
        (NAME, col("Endpoints", "Addresses backing the service."), AGE), _endpoints_cells),
    ("discovery.k8s.io", "EndpointSlice"): Printer(
        (NAME, col("AddressType", "The type of address carried."),
         col("Ports", "The ports of the endpoints."), col("Endpoints", "Addresses of the endpoints."), AGE),
        _endpoint_slice_cells),
    ("", "Node"): Printer(
        (NAME, col("Status", "The status of the node"), col("Roles", "The roles of the node"), AGE,
         col("Version", "Kubelet version."), col("Internal-IP", "The node's internal address.", priority=1),
         col("External-IP", "The node's external address.", priority=1),
         col("OS-Image", "Operating system image.", priority=1),
         col("Kernel-Version", "Kernel version.", priority=1),
         col("Container-Runtime", "Container runtime and version.", priority=1)), _node_cells),
    ("", "Namespace"): Printer(
        (NAME, col("Status", "The status of the namespace"), AGE),
        lambda o, now: [name_of(o), get(o, "status", "phase") or "Active", created(o, now)]),
    ("", "PersistentVolume"): Printer(
        (NAME, col("Capacity", "Storage capacity."), col("Access Modes", "How the volume can be mounted."),
         col("Reclaim Policy", "What happens to the volume when released."), col("Status", "Volume phase."),
         col("Claim", "The claim bound to the volume."), col("StorageClass", "StorageClass of the pv"),
         col("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
         col("Reason", "Why the volume failed."),
         AGE, col("VolumeMode", "Filesystem or Block.", priority=1)), _volume_cells),
    ("", "PersistentVolumeClaim"): Printer(
        (NAME, col("Status", "Claim phase."), col("Volume", "The bound volume."),
         col("Capacity", "Storage capacity."), col("Access Modes", "How the volume can be mounted."),
         col("StorageClass", "StorageClass of the pvc"),
         col("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
         AGE, col("VolumeMode", "Filesystem or Block.", priority=1)), _claim_cells),
    ("storage.k8s.io", "StorageClass"): Printer(
        (NAME, col("Provisioner", "The volume plugin that provisions volumes."),
         col("ReclaimPolicy", "Reclaim policy of provisioned volumes."),
         col("VolumeBindingMode", "When volumes are bound and provisioned."),
         col("AllowVolumeExpansion", "Whether volumes can be expanded."), AGE), _storage_class_cells),
    ("", "ConfigMap"): Printer((NAME, col("Data", "Number of data entries."), AGE), _config_map_cells),
    ("", "Secret"): Printer(
        (NAME, col("Type", "The type of the secret."), col("Data", "Number of data entries."), AGE),
        _secret_cells),
    ("", "ServiceAccount"): Printer(
        (NAME, col("Secrets", "Number of secrets."), AGE),
        lambda o, now: [name_of(o), len(o.get("secrets") or ()), created(o, now)]),
    ("rbac.authorization.k8s.io", "RoleBinding"): Printer(
        (NAME, col("Role", "The role bound."), AGE, col("Users", "Users in the roleBinding", priority=1),
         col("Groups", "Groups in the roleBinding", priority=1),
         col("ServiceAccounts", "ServiceAccounts in the roleBinding", priority=1)), _binding_cells),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): Printer(
        (NAME, col("Role", "The role bound."), AGE,
         col("Users", "Users in the clusterRoleBinding", priority=1),
         col("Groups", "Groups in the clusterRoleBinding", priority=1),
         col("ServiceAccounts", "ServiceAccounts in the clusterRoleBinding", priority=1)), _binding_cells),
    ("policy", "PodDisruptionBudget"): Printer(
        (NAME, col("Min Available", "The minimum number of pods that must be available."),
         col("Max Unavailable", "The maximum number of pods that may be unavailable."),
         col("Allowed Disruptions", "Calculated number of pods that may be disrupted now.", "integer"),
         AGE), _disruption_budget_cells),
    ("autoscaling", "HorizontalPodAutoscaler"): Printer(
        (NAME, col("Reference", "The scaled object."), col("Targets", "Current and target metric values."),
         col("MinPods", "Lower replica limit."), col("MaxPods", "Upper replica limit."),
         col("Replicas", "Current number of replicas."), AGE), _autoscaler_cells),
    ("", "ResourceQuota"): Printer(
        (NAME, col("Request", "Used and hard request quotas."), col("Limit", "Used and hard limit quotas."),
         AGE),
        _quota_cells),
    ("apps", "ControllerRevision"): Printer(
        (NAME, col("Controller", "Controller of the object"), col("Revision", "The revision number."), AGE),
        _revision_cells),
    ("scheduling.k8s.io", "PriorityClass"): Printer(
        (NAME, col("Value", "The priority value.", "integer"),
         col("Global-Default", "Whether this is the default priority class.", "boolean"), AGE,
         col("PreemptionPolicy", "Whether lower priority pods may be preempted.")), _priority_class_cells),
    ("node.k8s.io", "RuntimeClass"): Printer(
        (NAME, col("Handler", "The CRI handler."), AGE), _simple("handler")),
    ("coordination.k8s.io", "Lease"): Printer(
        (NAME, col("Holder", "The current holder of the lease."), AGE), _simple("spec.holderIdentity")),
}
for _kind in ("", "events.k8s.io"):
    CLUSTER_PRINTERS[(_kind, "Event")] = Printer(
        (col("Last Seen", _WHY), col("Type", "Normal or Warning."), col("Reason", "Why the event happened."),
         col("Object", "The object the event is about."),
         col("Subobject", "The field path within the object.", priority=1),
         col("Source", "The component that reported the event.", priority=1),
         col("Message", "A human-readable description."),
         col("First Seen", "First time the event was observed.", priority=1),
         col("Count", "How many times the event occurred.", priority=1),
         NAME._replace(priority=1)), _event_cells)
