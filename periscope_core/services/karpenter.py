"""The Karpenter view: NodePools, NodeClaims by pool, and the pods Karpenter cannot place, and why.

Read-only and as the caller. Only the fields the view shows are decoded (msgspec wire
shapes), from four lists read in parallel: NodePools, NodeClaims, Pending pods and
FailedScheduling events. A pod's reasons come from Karpenter's latest FailedScheduling
event about it, parsed per NodePool; the default scheduler's events are shown as they
are when Karpenter has not written one.

Cost: the controller's offering price gauges, scraped through the apiserver's service
proxy (``karpenter/karpenter:8080``, as the caller, which needs ``services/proxy``),
price each NodeClaim by instance type, capacity type and zone. When the scrape fails
the rest of the view is unaffected and ``metrics`` says why.
"""

from __future__ import annotations

from typing import Any

import anyio
import msgspec

from periscope_core.domain.errors import NotFound, PeriscopeError
from periscope_core.domain.identity import BRIDGE, Impersonation
from periscope_core.domain.karpenter_events import NodePoolRejection, parse_failed_scheduling
from periscope_core.domain.prometheus_text import samples
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.services.directory import ClusterDirectory
from periscope_core.services.kube import KubeClient

__all__ = [
    "NODECLAIMS",
    "NODEPOOLS",
    "PENDING_CAP",
    "KarpenterOverview",
    "KarpenterService",
]

NODEPOOLS = GroupVersionResource("karpenter.sh", "v1", "nodepools")
NODECLAIMS = GroupVersionResource("karpenter.sh", "v1", "nodeclaims")
_PODS = GroupVersionResource("", "v1", "pods")
_EVENTS = GroupVersionResource("", "v1", "events")
PENDING_CAP = 50
"""Pending pods shown, oldest first: the view is for triage, not for reports."""
_POOL_LABEL = "karpenter.sh/nodepool"
METRICS_PATH = "/api/v1/namespaces/karpenter/services/karpenter:8080/proxy/metrics"
_PRICE = "karpenter_cloudprovider_instance_type_offering_price_estimate"
_SCRAPE_TIMEOUT = 5.0
"""The proxy hop can hang (a security group, a NetworkPolicy); the lists must not wait for it."""


# -- wire shapes: only what the view reads ---------------------------------------------------


class _Meta(msgspec.Struct, rename="camel"):
    name: str = ""
    namespace: str = ""
    uid: str = ""
    creation_timestamp: str = ""
    labels: dict[str, str] = {}


class _Condition(msgspec.Struct, rename="camel"):
    type: str = ""
    status: str = ""
    reason: str = ""
    message: str = ""


class _Ref(msgspec.Struct):
    name: str = ""
    kind: str = ""


class _Disruption(msgspec.Struct, rename="camel"):
    consolidation_policy: str = ""
    consolidate_after: str = ""
    budgets: list[dict[str, Any]] = []


class _TemplateSpec(msgspec.Struct, rename="camel"):
    node_class_ref: _Ref = msgspec.field(default_factory=_Ref)
    expire_after: str = ""


class _Template(msgspec.Struct):
    spec: _TemplateSpec = msgspec.field(default_factory=_TemplateSpec)


class _PoolSpec(msgspec.Struct):
    template: _Template = msgspec.field(default_factory=_Template)
    disruption: _Disruption = msgspec.field(default_factory=_Disruption)
    limits: dict[str, str] = {}
    weight: int | None = None


class _PoolStatus(msgspec.Struct):
    resources: dict[str, str] = {}
    nodes: int | None = None
    conditions: list[_Condition] = []


class _NodePool(msgspec.Struct):
    metadata: _Meta = msgspec.field(default_factory=_Meta)
    spec: _PoolSpec = msgspec.field(default_factory=_PoolSpec)
    status: _PoolStatus = msgspec.field(default_factory=_PoolStatus)


class _ClaimStatus(msgspec.Struct, rename="camel"):
    node_name: str = ""
    image_id: str = msgspec.field(default="", name="imageID")
    capacity: dict[str, str] = {}
    conditions: list[_Condition] = []


class _NodeClaim(msgspec.Struct):
    metadata: _Meta = msgspec.field(default_factory=_Meta)
    status: _ClaimStatus = msgspec.field(default_factory=_ClaimStatus)


class _PodStatus(msgspec.Struct):
    phase: str = ""
    conditions: list[_Condition] = []


class _Pod(msgspec.Struct):
    metadata: _Meta = msgspec.field(default_factory=_Meta)
    status: _PodStatus = msgspec.field(default_factory=_PodStatus)


class _Involved(msgspec.Struct):
    uid: str = ""
    namespace: str = ""
    name: str = ""


class _Source(msgspec.Struct):
    component: str = ""


class _Event(msgspec.Struct, rename="camel"):
    involved_object: _Involved = msgspec.field(default_factory=_Involved)
    message: str = ""
    source: _Source = msgspec.field(default_factory=_Source)
    reporting_component: str = ""
    last_timestamp: str | None = None
    event_time: str | None = None
    count: int = 1
    metadata: _Meta = msgspec.field(default_factory=_Meta)


class _Pools(msgspec.Struct):
    items: list[_NodePool] = []


class _Claims(msgspec.Struct):
    items: list[_NodeClaim] = []


class _Pods(msgspec.Struct):
    items: list[_Pod] = []


class _Events(msgspec.Struct):
    items: list[_Event] = []


class _Resource(msgspec.Struct):
    name: str = ""


class _ResourceList(msgspec.Struct):
    resources: list[_Resource] = []


_POOLS = msgspec.json.Decoder(_Pools)
_CLAIMS = msgspec.json.Decoder(_Claims)
_PENDING = msgspec.json.Decoder(_Pods)
_SCHEDULING = msgspec.json.Decoder(_Events)
_DISCOVERY = msgspec.json.Decoder(_ResourceList)


# -- the view ----------------------------------------------------------------------------------


class NodePoolView(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    name: str
    node_class: str = ""
    weight: int | None = None
    consolidation_policy: str = ""
    consolidate_after: str = ""
    expire_after: str = ""
    budgets: list[dict[str, Any]] = []
    limits: dict[str, str] = {}
    usage: dict[str, str] = {}
    nodes: int = 0
    ready: bool | None = None
    ready_message: str = ""
    created_at: str = ""
    cost_per_hour: float | None = None
    """What the pool's NodeClaims cost now, in the controller's currency ($); None without metrics."""
    spot_savings: float | None = None
    """The share saved against the same nodes on demand (0.4 = 40 %); None without metrics."""


class MetricsState(msgspec.Struct, frozen=True, omit_defaults=True):
    available: bool
    reason: str = ""


class NodeClaimView(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    name: str
    node_name: str = ""
    instance_type: str = ""
    capacity_type: str = ""
    zone: str = ""
    launched: bool = False
    initialized: bool = False
    ready: bool = False
    drifted: bool = False
    drift_reason: str = ""
    created_at: str = ""


class NodeClaimGroup(msgspec.Struct, frozen=True, rename="camel"):
    node_pool: str
    claims: list[NodeClaimView]
    drifted: int


class PendingPod(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    namespace: str
    name: str
    pending_since: str = ""
    node_pools: list[NodePoolRejection] | None = None
    """Karpenter's reasons per NodePool; None when Karpenter has not written an event yet."""
    message: str = ""
    """The latest scheduling message when there are no parsed reasons (the default scheduler's, say)."""
    source: str = ""


class KarpenterOverview(msgspec.Struct, frozen=True, rename="camel"):
    available: bool
    node_pools: list[NodePoolView] = []
    node_claims: list[NodeClaimGroup] = []
    pending_pods: list[PendingPod] = []
    pending_total: int = 0
    pending_cap: int = PENDING_CAP
    metrics: MetricsState = MetricsState(available=False)


def _condition(conditions: list[_Condition], kind: str) -> _Condition | None:
    return next((c for c in conditions if c.type == kind), None)


def _is_true(conditions: list[_Condition], kind: str) -> bool:
    found = _condition(conditions, kind)
    return found is not None and found.status == "True"


def _pool_view(pool: _NodePool) -> NodePoolView:
    spec, status = pool.spec, pool.status
    ready = _condition(status.conditions, "Ready")
    return NodePoolView(
        name=pool.metadata.name, node_class=spec.template.spec.node_class_ref.name, weight=spec.weight,
        consolidation_policy=spec.disruption.consolidation_policy,
        consolidate_after=spec.disruption.consolidate_after, expire_after=spec.template.spec.expire_after,
        budgets=spec.disruption.budgets, limits=spec.limits, usage=status.resources,
        nodes=status.nodes if status.nodes is not None else int(status.resources.get("nodes", "0") or 0),
        ready=None if ready is None else ready.status == "True",
        ready_message="" if ready is None or ready.status == "True" else ready.message or ready.reason,
        created_at=pool.metadata.creation_timestamp,
    )  # fmt: skip


def _claim_view(claim: _NodeClaim) -> NodeClaimView:
    labels, conditions = claim.metadata.labels, claim.status.conditions
    drift = _condition(conditions, "Drifted")
    drifted = drift is not None and drift.status == "True"
    return NodeClaimView(
        name=claim.metadata.name, node_name=claim.status.node_name,
        instance_type=labels.get("node.kubernetes.io/instance-type", ""),
        capacity_type=labels.get("karpenter.sh/capacity-type", ""),
        zone=labels.get("topology.kubernetes.io/zone", ""),
        launched=_is_true(conditions, "Launched"), initialized=_is_true(conditions, "Initialized"),
        ready=_is_true(conditions, "Ready"), drifted=drifted,
        drift_reason=(drift.reason or drift.message) if drift is not None and drifted else "",
        created_at=claim.metadata.creation_timestamp,
    )  # fmt: skip


def _group_claims(claims: list[_NodeClaim]) -> list[NodeClaimGroup]:
    by_pool: dict[str, list[NodeClaimView]] = {}
    for claim in claims:
        by_pool.setdefault(claim.metadata.labels.get(_POOL_LABEL, ""), []).append(_claim_view(claim))
    return [
        NodeClaimGroup(
            node_pool=pool, claims=sorted(views, key=lambda v: v.name), drifted=sum(1 for v in views if v.drifted)
        )
        for pool, views in sorted(by_pool.items())
    ]


def _unschedulable_since(pod: _Pod) -> str | None:
    """When the pod was found unschedulable; None for a Pending pod that is merely starting."""
    scheduled = _condition(pod.status.conditions, "PodScheduled")
    if scheduled is None or scheduled.status != "False" or scheduled.reason != "Unschedulable":
        return None
    return pod.metadata.creation_timestamp


def _event_time(event: _Event) -> str:
    return event.last_timestamp or event.event_time or event.metadata.creation_timestamp or ""


def _pending_view(pod: _Pod, since: str, events: list[_Event]) -> PendingPod:
    mine = [e for e in events if e.involved_object.uid == pod.metadata.uid
            or (e.involved_object.namespace, e.involved_object.name) == (pod.metadata.namespace, pod.metadata.name)]
    mine.sort(key=_event_time, reverse=True)
    for event in mine:
        parsed = parse_failed_scheduling(event.message)
        if parsed is not None:
            return PendingPod(namespace=pod.metadata.namespace, name=pod.metadata.name, pending_since=since,
                              node_pools=parsed, source=event.source.component or event.reporting_component)
    latest = mine[0] if mine else None
    return PendingPod(
        namespace=pod.metadata.namespace, name=pod.metadata.name, pending_since=since,
        message=latest.message if latest else "",
        source=(latest.source.component or latest.reporting_component) if latest else "",
    )  # fmt: skip


class KarpenterService:
    """``overview(cluster, as_=...)``: the three panels, or ``available=False`` without Karpenter v1."""

    def __init__(self, directory: ClusterDirectory) -> None:
        self._directory = directory

    async def available(self, client: KubeClient, *, as_: Impersonation = BRIDGE) -> bool:
        """Whether the cluster serves ``karpenter.sh/v1`` NodePools (discovery, readable by anyone signed in)."""
        try:
            body = await client.request("GET", f"/apis/{NODEPOOLS.group}/{NODEPOOLS.version}", as_=as_)
        except NotFound:
            return False
        return any(r.name == NODEPOOLS.resource for r in _DISCOVERY.decode(body).resources)

    async def overview(self, cluster: str, *, as_: Impersonation = BRIDGE) -> KarpenterOverview:
        client = await self._directory.client(cluster)
        if not await self.available(client, as_=as_):
            return KarpenterOverview(available=False)
        bodies: dict[str, bytes] = {}
        failures: list[PeriscopeError] = []

        async def read(key: str, gvr: GroupVersionResource, field_selector: str = "") -> None:
            try:
                bodies[key] = await client.list_raw(gvr, field_selector=field_selector, as_=as_)
            except PeriscopeError as exc:  # kept, not raised: a task group would wrap it in a group
                failures.append(exc)

        prices: dict[tuple[str, str, str], float] = {}
        metrics = MetricsState(available=False, reason="not scraped")

        async def scrape() -> None:
            nonlocal metrics
            metrics = await self._scrape(client, prices, as_=as_)

        async with anyio.create_task_group() as tg:
            tg.start_soon(read, "pools", NODEPOOLS)
            tg.start_soon(read, "claims", NODECLAIMS)
            tg.start_soon(read, "pods", _PODS, "status.phase=Pending")
            tg.start_soon(read, "events", _EVENTS, "reason=FailedScheduling")
            tg.start_soon(scrape)
        if failures:
            raise failures[0]
        pools = _POOLS.decode(bodies["pools"]).items
        claims = _CLAIMS.decode(bodies["claims"]).items
        events = _SCHEDULING.decode(bodies["events"]).items
        waiting = [(since, pod) for pod in _PENDING.decode(bodies["pods"]).items
                   if (since := _unschedulable_since(pod)) is not None]  # fmt: skip
        waiting.sort(key=lambda pair: (pair[0], pair[1].metadata.namespace, pair[1].metadata.name))
        groups = _group_claims(claims)
        views = [_pool_view(p) for p in pools]
        if metrics.available:
            views = [_priced(view, groups, prices) for view in views]
        return KarpenterOverview(
            available=True,
            node_pools=sorted(views, key=lambda v: (-(v.weight or 0), v.name)),
            node_claims=groups,
            metrics=metrics,
            pending_pods=[_pending_view(pod, since, events) for since, pod in waiting[:PENDING_CAP]],
            pending_total=len(waiting),
        )

    @staticmethod
    async def _scrape(
        client: KubeClient, prices: dict[tuple[str, str, str], float], *, as_: Impersonation
    ) -> MetricsState:
        """Fill ``prices`` (instance type, capacity type, zone) -> $/h from the controller's gauges."""
        try:
            with anyio.fail_after(_SCRAPE_TIMEOUT):
                text = await client.request("GET", METRICS_PATH, as_=as_, accept="text/plain")
        except TimeoutError:
            reason = f"the controller's metrics did not answer in {_SCRAPE_TIMEOUT:g} s"
            return MetricsState(available=False, reason=reason)
        except PeriscopeError as exc:
            return MetricsState(available=False, reason=exc.message)
        for sample in samples(text.decode(errors="replace"), names=frozenset({_PRICE})):
            labels = sample.labels
            prices[(labels.get("instance_type", ""), labels.get("capacity_type", ""), labels.get("zone", ""))] = (
                sample.value
            )
        if not prices:
            return MetricsState(available=False, reason="the controller's metrics have no offering prices")
        return MetricsState(available=True)


def _priced(
    pool: NodePoolView, groups: list[NodeClaimGroup], prices: dict[tuple[str, str, str], float]
) -> NodePoolView:
    claims = next((g.claims for g in groups if g.node_pool == pool.name), [])
    cost = on_demand = 0.0
    for claim in claims:
        price = prices.get((claim.instance_type, claim.capacity_type, claim.zone))
        list_price = prices.get((claim.instance_type, "on-demand", claim.zone))
        if price is None or list_price is None:
            return pool  # a node the price list does not know: no figure rather than a wrong one
        cost, on_demand = cost + price, on_demand + list_price
    savings = 1 - cost / on_demand if on_demand else 0.0
    return msgspec.structs.replace(pool, cost_per_hour=round(cost, 4), spot_savings=round(savings, 4))
