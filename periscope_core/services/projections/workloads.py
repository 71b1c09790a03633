"""Rows for pods and the workload controllers (what ``kubectl get`` shows for them)."""

from __future__ import annotations

from typing import Any

import msgspec

from periscope_core.services.projections._base import Projection, Summary, WireObject, common

# pods


class _ContainerState(msgspec.Struct, rename="camel"):
    reason: str = ""
    exit_code: int = 0
    signal: int = 0


class _States(msgspec.Struct):
    waiting: _ContainerState | None = None
    running: dict[str, Any] | None = None
    terminated: _ContainerState | None = None


class _ContainerStatus(msgspec.Struct, rename="camel"):
    name: str = ""
    ready: bool = False
    restart_count: int = 0
    state: _States = msgspec.field(default_factory=_States)


class _Named(msgspec.Struct):
    name: str = ""


class _PodSpec(msgspec.Struct, rename="camel"):
    node_name: str = ""
    containers: list[_Named] = []
    init_containers: list[_Named] = []


class _PodStatus(msgspec.Struct, rename="camel"):
    phase: str = ""
    reason: str = ""
    pod_ip: str = msgspec.field(default="", name="podIP")
    container_statuses: list[_ContainerStatus] | None = None
    init_container_statuses: list[_ContainerStatus] | None = None


class _Pod(WireObject):
    spec: _PodSpec = msgspec.field(default_factory=_PodSpec)
    status: _PodStatus = msgspec.field(default_factory=_PodStatus)


class PodSummary(Summary):
    phase: str = ""
    status: str = ""
    """What ``kubectl get pods`` shows: CrashLoopBackOff, Init:0/1, Terminating..."""
    ready: str = "0/0"
    restarts: int = 0
    node: str = ""
    pod_ip: str = msgspec.field(default="", name="podIP")
    containers: list[str] = []


def _terminated_reason(state: _ContainerState) -> str:
    if state.reason:
        return state.reason
    return f"Signal:{state.signal}" if state.signal else f"ExitCode:{state.exit_code}"


def _pod_status(pod: _Pod) -> str:
    # The same precedence kubectl's printer uses, so the console and the terminal agree.
    status = pod.status
    reason = status.reason or status.phase
    inits = status.init_container_statuses or []
    for index, init in enumerate(inits):
        term, wait = init.state.terminated, init.state.waiting
        if term is not None and term.exit_code == 0:
            continue
        if term is not None:
            reason = "Init:" + _terminated_reason(term)
        elif wait is not None and wait.reason and wait.reason != "PodInitializing":
            reason = "Init:" + wait.reason
        else:
            reason = f"Init:{index}/{len(pod.spec.init_containers) or len(inits)}"
        break
    else:
        running = False
        for container in reversed(status.container_statuses or []):
            term, wait = container.state.terminated, container.state.waiting
            if wait is not None and wait.reason:
                reason = wait.reason
            elif term is not None:
                reason = _terminated_reason(term)
            elif container.ready and container.state.running is not None:
                running = True
        if reason == "Completed" and running:
            reason = "Running"
    if pod.metadata.deletion_timestamp:
        reason = "Unknown" if status.reason == "NodeLost" else "Terminating"
    return reason


def _pod(pod: _Pod) -> PodSummary:
    statuses = pod.status.container_statuses or []
    inits = pod.status.init_container_statuses or []
    return PodSummary(
        **common(pod.metadata),
        phase=pod.status.phase,
        status=_pod_status(pod),
        ready=f"{sum(c.ready for c in statuses)}/{len(pod.spec.containers) or len(statuses)}",
        restarts=sum(c.restart_count for c in (*statuses, *inits)),
        node=pod.spec.node_name,
        pod_ip=pod.status.pod_ip,
        containers=[c.name for c in pod.spec.containers],
    )


# deployments, statefulsets, replicasets, daemonsets


class _Replicas(msgspec.Struct, rename="camel"):
    replicas: int | None = None


class _ReplicaStatus(msgspec.Struct, rename="camel"):
    replicas: int = 0
    ready_replicas: int = 0
    updated_replicas: int | None = None
    available_replicas: int = 0


class _Workload(WireObject):
    spec: _Replicas = msgspec.field(default_factory=_Replicas)
    status: _ReplicaStatus = msgspec.field(default_factory=_ReplicaStatus)


class WorkloadSummary(Summary):
    replicas: int = 0
    """Desired replicas."""
    ready: int = 0
    updated: int | None = None
    """None for ReplicaSets, which have no rollout of their own."""
    available: int = 0


def _workload(obj: _Workload) -> WorkloadSummary:
    return WorkloadSummary(
        **common(obj.metadata),
        replicas=obj.spec.replicas if obj.spec.replicas is not None else obj.status.replicas,
        ready=obj.status.ready_replicas,
        updated=obj.status.updated_replicas,
        available=obj.status.available_replicas,
    )


class _DaemonStatus(msgspec.Struct, rename="camel"):
    desired_number_scheduled: int = 0
    current_number_scheduled: int = 0
    number_ready: int = 0
    updated_number_scheduled: int = 0
    number_available: int = 0


class _DaemonSet(WireObject):
    status: _DaemonStatus = msgspec.field(default_factory=_DaemonStatus)


class DaemonSetSummary(Summary):
    desired: int = 0
    current: int = 0
    ready: int = 0
    updated: int = 0
    available: int = 0


def _daemonset(obj: _DaemonSet) -> DaemonSetSummary:
    s = obj.status
    return DaemonSetSummary(
        **common(obj.metadata),
        desired=s.desired_number_scheduled,
        current=s.current_number_scheduled,
        ready=s.number_ready,
        updated=s.updated_number_scheduled,
        available=s.number_available,
    )


# jobs and cronjobs


class _JobSpec(msgspec.Struct, rename="camel"):
    completions: int | None = None
    parallelism: int | None = None


class _JobStatus(msgspec.Struct, rename="camel"):
    succeeded: int = 0
    failed: int = 0
    active: int = 0
    start_time: str | None = None
    completion_time: str | None = None


class _Job(WireObject):
    spec: _JobSpec = msgspec.field(default_factory=_JobSpec)
    status: _JobStatus = msgspec.field(default_factory=_JobStatus)


class JobSummary(Summary):
    completions: int | None = None
    succeeded: int = 0
    failed: int = 0
    active: int = 0
    start_time: str = ""
    completion_time: str = ""


def _job(obj: _Job) -> JobSummary:
    s = obj.status
    return JobSummary(
        **common(obj.metadata),
        completions=obj.spec.completions,
        succeeded=s.succeeded,
        failed=s.failed,
        active=s.active,
        start_time=s.start_time or "",
        completion_time=s.completion_time or "",
    )


class _CronSpec(msgspec.Struct, rename="camel"):
    schedule: str = ""
    suspend: bool | None = None
    time_zone: str | None = None


class _CronStatus(msgspec.Struct, rename="camel"):
    last_schedule_time: str | None = None
    active: list[dict[str, Any]] | None = None


class _CronJob(WireObject):
    spec: _CronSpec = msgspec.field(default_factory=_CronSpec)
    status: _CronStatus = msgspec.field(default_factory=_CronStatus)


class CronJobSummary(Summary):
    schedule: str = ""
    time_zone: str = ""
    suspend: bool = False
    active: int = 0
    last_schedule_time: str = ""


def _cronjob(obj: _CronJob) -> CronJobSummary:
    return CronJobSummary(
        **common(obj.metadata),
        schedule=obj.spec.schedule,
        time_zone=obj.spec.time_zone or "",
        suspend=bool(obj.spec.suspend),
        active=len(obj.status.active or []),
        last_schedule_time=obj.status.last_schedule_time or "",
    )


WORKLOAD_PROJECTIONS: dict[str, Projection[Any]] = {
    "pods": Projection(_Pod, _pod),
    "deployments": Projection(_Workload, _workload),
    "statefulsets": Projection(_Workload, _workload),
    "replicasets": Projection(_Workload, _workload),
    "daemonsets": Projection(_DaemonSet, _daemonset),
    "jobs": Projection(_Job, _job),
    "cronjobs": Projection(_CronJob, _cronjob),
}
