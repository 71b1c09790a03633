/** What the describe view extracts from any object: facts, conditions and containers, found by path. */

import type { KubeObject } from "../api/types";

/** Read a dotted path ("status.nodeInfo.osImage") from an object; undefined when any step is missing. */
export function at(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Facts shown at the top of describe when the object has them; one list serves every kind. */
const FACTS: readonly [string, string][] = [
  ["Phase", "status.phase"],
  ["Node", "spec.nodeName"],
  ["Pod IP", "status.podIP"],
  ["QoS class", "status.qosClass"],
  ["Service account", "spec.serviceAccountName"],
  ["Replicas", "spec.replicas"],
  ["Ready replicas", "status.readyReplicas"],
  ["Available", "status.availableReplicas"],
  ["Strategy", "spec.strategy.type"],
  ["Type", "spec.type"],
  ["Type", "type"],
  ["Cluster IP", "spec.clusterIP"],
  ["Schedule", "spec.schedule"],
  ["Suspend", "spec.suspend"],
  ["Completions", "spec.completions"],
  ["Succeeded", "status.succeeded"],
  ["Failed", "status.failed"],
  ["Storage class", "spec.storageClassName"],
  ["Volume", "spec.volumeName"],
  ["Capacity", "status.capacity.storage"],
  ["Access modes", "spec.accessModes"],
  ["Provisioner", "provisioner"],
  ["Unschedulable", "spec.unschedulable"],
  ["Kubelet", "status.nodeInfo.kubeletVersion"],
  ["OS image", "status.nodeInfo.osImage"],
  ["Container runtime", "status.nodeInfo.containerRuntimeVersion"],
  ["Min replicas", "spec.minReplicas"],
  ["Max replicas", "spec.maxReplicas"],
  ["Priority", "value"],
];

export function facts(object: KubeObject): [string, string][] {
  const found: [string, string][] = [];
  for (const [label, path] of FACTS) {
    const value = at(object, path);
    if (value === undefined || value === null || value === "" || typeof value === "object" && !Array.isArray(value)) continue;
    found.push([label, Array.isArray(value) ? value.join(", ") : String(value)]);
  }
  return found;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

// Conditions that report a problem when True (MemoryPressure, NetworkUnavailable...): False is the good state.
const NEGATIVE = /Pressure$|Unavailable$|Failed$|Degraded$|Stalled$|Disrupted$/;

export function conditionTone(condition: Pick<Condition, "type" | "status">): "ok" | "bad" | "muted" {
  if (condition.status !== "True" && condition.status !== "False") return "muted";
  const good = NEGATIVE.test(condition.type) ? "False" : "True";
  return condition.status === good ? "ok" : "bad";
}

export function conditions(object: KubeObject): Condition[] {
  const list = at(object, "status.conditions");
  return Array.isArray(list) ? (list as Condition[]) : [];
}

export interface ContainerRow {
  name: string;
  image: string;
  init: boolean;
  ready?: boolean;
  restarts?: number;
  state?: string;
  requests?: Record<string, string>;
  limits?: Record<string, string>;
  ports: string[];
}

interface ContainerSpec {
  name: string;
  image?: string;
  ports?: { containerPort: number; protocol?: string; name?: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: Record<string, { reason?: string; exitCode?: number }>;
}

/** Where a kind keeps its pod spec: pods directly, workloads in a template, cron jobs one level deeper. */
const POD_SPEC_PATHS = ["spec", "spec.template.spec", "spec.jobTemplate.spec.template.spec"];

function stateText(status: ContainerStatus | undefined): string | undefined {
  const [name, detail] = Object.entries(status?.state ?? {})[0] ?? [];
  if (!name) return undefined;
  const reason = detail?.reason ?? "";
  const label = name.charAt(0).toUpperCase() + name.slice(1);
  return reason ? `${label}: ${reason}` : label;
}

export function containers(object: KubeObject): ContainerRow[] {
  const podSpec = POD_SPEC_PATHS.map((path) => at(object, path)).find((spec) => Array.isArray(at(spec, "containers")));
  if (!podSpec) return [];
  const statuses = [
    ...((at(object, "status.initContainerStatuses") as ContainerStatus[] | undefined) ?? []),
    ...((at(object, "status.containerStatuses") as ContainerStatus[] | undefined) ?? []),
  ];
  const rows = (list: unknown, init: boolean): ContainerRow[] =>
    ((list as ContainerSpec[] | undefined) ?? []).map((c) => {
      const status = statuses.find((s) => s.name === c.name);
      return {
        name: c.name,
        image: c.image ?? "",
        init,
        ready: status?.ready,
        restarts: status?.restartCount,
        state: stateText(status),
        requests: c.resources?.requests,
        limits: c.resources?.limits,
        ports: (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? "TCP"}${p.name ? ` (${p.name})` : ""}`),
      };
    });
  return [...rows(at(podSpec, "initContainers"), true), ...rows(at(podSpec, "containers"), false)];
}

/** The label selector a workload or service uses to pick its pods, as a query string; "" when it has none. */
export function podSelector(object: KubeObject): string {
  const selector = object.spec?.selector as Record<string, unknown> | undefined;
  if (!selector || typeof selector !== "object") return "";
  // Workloads nest labels under matchLabels; services use a plain map.
  const labels = (selector.matchLabels ?? (object.kind === "Service" ? selector : undefined)) as
    | Record<string, string>
    | undefined;
  if (!labels) return "";
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

/** spec and status minus what the dedicated sections already show. */
export function remainder(object: KubeObject): { spec?: unknown; status?: unknown } {
  const { conditions: _conditions, containerStatuses: _cs, initContainerStatuses: _ics, ...status } = object.status ?? {};
  const hasStatus = Object.keys(status).length > 0;
  return { spec: object.spec, status: hasStatus ? status : undefined };
}
