"""Table printers for pods and the workload controllers (apps and batch kinds)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ._print_util import (
    AGE,
    CONTAINERS,
    IMAGES,
    NAME,
    SELECTOR,
    Cells,
    Obj,
    Printer,
    age,
    col,
    condition,
    containers,
    created,
    format_labels,
    format_selector,
    get,
    human_duration,
    items,
    name_of,
    parse_time,
    selector_string,
)

__all__ = ["WORKLOAD_PRINTERS"]


def _waiting_or_terminated_reason(state: Obj, prefix: str = "") -> str | None:
    waiting, terminated = state.get("waiting"), state.get("terminated")
    if waiting is not None and waiting.get("reason"):
        return f"{prefix}{waiting['reason']}"
    if terminated is not None:
        if terminated.get("reason"):
            return f"{prefix}{terminated['reason']}"
        if terminated.get("signal"):
            return f"{prefix}Signal:{terminated['signal']}"
        return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"
    return None


def _pod_cells(o: Obj, now: datetime) -> Cells:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    conditions = items(status, "conditions")
    phase = status.get("phase", "")
    reason = status.get("reason") or phase
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in conditions):
        reason = "SchedulingGated"
    init_specs = {c.get("name"): c for c in items(spec, "initContainers")}
    sidecars = {name for name, c in init_specs.items() if c.get("restartPolicy") == "Always"}
    total, ready = len(items(spec, "containers")) + len(sidecars), 0
    restarts = sidecar_restarts = 0
    last: datetime | None = None
    last_sidecar: datetime | None = None

    def finished(status_: Obj) -> datetime | None:
        return parse_time(get(status_, "lastState", "terminated", "finishedAt"))

    initializing = False
    for index, cs in enumerate(items(status, "initContainerStatuses")):
        restarts += cs.get("restartCount", 0)
        last = max(filter(None, (last, finished(cs))), default=None)
        if cs.get("name") in sidecars:
            sidecar_restarts += cs.get("restartCount", 0)
            last_sidecar = max(filter(None, (last_sidecar, finished(cs))), default=None)
        state = cs.get("state") or {}
        if state.get("terminated") is not None and state["terminated"].get("exitCode", 0) == 0:
            continue
        if cs.get("name") in sidecars and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        waiting = get(state, "waiting", "reason")
        if state.get("terminated") is not None or (waiting and waiting != "PodInitializing"):
            reason = _waiting_or_terminated_reason(state, "Init:") or reason
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break
    if not initializing or condition(conditions, "Initialized") == "True":
        restarts, last, running = sidecar_restarts, last_sidecar, False
        for cs in reversed(items(status, "containerStatuses")):
            restarts += cs.get("restartCount", 0)
            last = max(filter(None, (last, finished(cs))), default=None)
            state = cs.get("state") or {}
            explained = _waiting_or_terminated_reason(state)
            if explained is not None:
                reason = explained
            elif cs.get("ready") and state.get("running") is not None:
                running, ready = True, ready + 1
        if reason == "Completed" and running:
            reason = "Running" if condition(conditions, "Ready") == "True" else "NotReady"
    if get(o, "metadata", "deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif get(o, "metadata", "deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    restart_text = f"{restarts} ({human_duration(now - last)} ago)" if restarts and last else str(restarts)
    gates = items(spec, "readinessGates")
    true_gates = sum(1 for g in gates if condition(conditions, g.get("conditionType", "")) == "True")
    ip = status.get("podIP") or get(status, "podIPs", 0, "ip") or "<none>"
    return [
        name_of(o), f"{ready}/{total}", reason, restart_text, created(o, now),
        ip, spec.get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>",
        f"{true_gates}/{len(gates)}" if gates else "<none>",
    ]


def _pod_template_wide(template_spec: Any, selector: Obj | None) -> Cells:
    return [*containers(template_spec), format_selector(selector)]


def _deployment_cells(o: Obj, now: datetime) -> Cells:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    return [
        name_of(o), f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        status.get("updatedReplicas", 0), status.get("availableReplicas", 0), created(o, now),
        *containers(get(spec, "template", "spec")), selector_string(spec.get("selector")),
    ]


def _replica_set_cells(o: Obj, now: datetime) -> Cells:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    return [
        name_of(o), spec.get("replicas", 1), status.get("replicas", 0), status.get("readyReplicas", 0),
        created(o, now), *_pod_template_wide(get(spec, "template", "spec"), spec.get("selector")),
    ]


def _stateful_set_cells(o: Obj, now: datetime) -> Cells:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    ready = f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"
    return [name_of(o), ready, created(o, now), *containers(get(spec, "template", "spec"))]


def _daemon_set_cells(o: Obj, now: datetime) -> Cells:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    counts = ("desiredNumberScheduled", "currentNumberScheduled", "numberReady", "updatedNumberScheduled",
              "numberAvailable")
    return [
        name_of(o), *(status.get(c, 0) for c in counts),
        format_labels(get(spec, "template", "spec", "nodeSelector")), created(o, now),
        *_pod_template_wide(get(spec, "template", "spec"), spec.get("selector")),
    ]


def _job_cells(o: Obj, now: datetime) -> Cells:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif spec.get("parallelism", 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    started, completed = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    took = "" if started is None else human_duration((completed or now) - started)
    conditions = items(status, "conditions")
    state = next(
        (s for s in ("Complete", "Failed") if condition(conditions, s) == "True"),
        "Terminating" if get(o, "metadata", "deletionTimestamp") else None,
    ) or next((s for s in ("Suspended", "FailureTarget") if condition(conditions, s) == "True"), "Running")
    return [
        name_of(o), state, completions, took, created(o, now),
        *_pod_template_wide(get(spec, "template", "spec"), spec.get("selector")),
    ]


def _cron_job_cells(o: Obj, now: datetime) -> Cells:
    spec, status = o.get("spec") or {}, o.get("status") or {}
    suspend = spec.get("suspend")
    last = status.get("lastScheduleTime")
    job_spec = get(spec, "jobTemplate", "spec")
    return [
        name_of(o), spec.get("schedule", ""), spec.get("timeZone") or "<none>",
        "<unset>" if suspend is None else str(bool(suspend)), len(items(status, "active")),
        "<none>" if last is None else age(last, now), created(o, now),
        *_pod_template_wide(get(job_spec, "template", "spec"), get(job_spec, "selector")),
    ]


WORKLOAD_PRINTERS = {
    ("", "Pod"): Printer(
        (NAME, col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
         col("Status", "The aggregate status of the containers in this pod."),
         col("Restarts", "The number of times the containers in this pod have been restarted and when the "
             "last container in this pod has restarted."), AGE,
         col("IP", "IP address allocated to the pod.", priority=1),
         col("Node", "The node the pod is scheduled onto.", priority=1),
         col("Nominated Node", "The node the scheduler nominated for preemption.", priority=1),
         col("Readiness Gates", "Readiness gates that are true, of all the pod's gates.", priority=1)),
        _pod_cells),
    ("apps", "Deployment"): Printer(
        (NAME, col("Ready", "Number of the pod with ready state"),
         col("Up-to-date", "Pods targeted by this deployment that have the desired template."),
         col("Available", "Total number of available pods targeted by this deployment."),
         AGE, CONTAINERS, IMAGES, SELECTOR), _deployment_cells),
    ("apps", "ReplicaSet"): Printer(
        (NAME, col("Desired", "Number of desired pods.", "integer"),
         col("Current", "The most recently observed number of replicas.", "integer"),
         col("Ready", "The number of ready replicas.", "integer"), AGE, CONTAINERS, IMAGES, SELECTOR),
        _replica_set_cells),
    ("apps", "StatefulSet"): Printer(
        (NAME, col("Ready", "Number of the pod with ready state"), AGE, CONTAINERS, IMAGES),
        _stateful_set_cells),
    ("apps", "DaemonSet"): Printer(
        (NAME, col("Desired", "Nodes that should run the daemon pod.", "integer"),
         col("Current", "Nodes running at least one daemon pod.", "integer"),
         col("Ready", "Nodes whose daemon pod is ready.", "integer"),
         col("Up-to-date", "Nodes running the updated daemon pod.", "integer"),
         col("Available", "Nodes whose daemon pod is available.", "integer"),
         col("Node Selector", "Selector the pod's node must match."), AGE, CONTAINERS, IMAGES, SELECTOR),
        _daemon_set_cells),
    ("batch", "Job"): Printer(
        (NAME, col("Status", "Status of the job."),
         col("Completions", "The number of pods which reached phase Succeeded."),
         col("Duration", "Time required to complete the job."), AGE, CONTAINERS, IMAGES, SELECTOR),
        _job_cells),
    ("batch", "CronJob"): Printer(
        (NAME, col("Schedule", "The schedule in Cron format."),
         col("Timezone", "The time zone of the schedule."),
         col("Suspend", "Whether subsequent executions are suspended.", "boolean"),
         col("Active", "Number of currently running jobs.", "integer"),
         col("Last Schedule", "When the job was last successfully scheduled."), AGE, CONTAINERS, IMAGES,
         SELECTOR), _cron_job_cells),
}
