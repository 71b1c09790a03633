/** Cluster health at a glance: the fleet entry shape (as `/api/fleet` answers), and how the cluster
 * overview derives it from plain lists. */

import type { ClusterInfo, Row } from "../api/types";

export type ClusterStatus = "healthy" | "degraded" | "unreachable" | "unknown" | "denied";

export interface HotSignal {
  kind: string;
  count: number;
}

export interface FleetEntry {
  name: string;
  backend: string;
  environment?: string;
  region?: string;
  tags?: Record<string, string>;
  status: ClusterStatus;
  kubernetesVersion?: string;
  summary?: {
    nodes: { ready: number; total: number };
    pods: { running: number; pending: number; failed: number; total: number };
    namespaces: number;
    stuckOrFailed: number;
  };
  hotSignals: HotSignal[];
  error?: { code: string; message: string };
  lastContact?: string;
}

/** Pod states that mean "a human should look", grouped into the fleet's hot signals. */
const SIGNALS: Record<string, string> = {
  CrashLoopBackOff: "CrashLoop",
  ImagePullBackOff: "ImagePull",
  ErrImagePull: "ImagePull",
  ErrImageNeverPull: "ImagePull",
  InvalidImageName: "ImagePull",
  CreateContainerConfigError: "Failed",
  CreateContainerError: "Failed",
  RunContainerError: "Failed",
  OOMKilled: "OOMKilled",
  DeadlineExceeded: "Failed",
  Evicted: "Failed",
  Error: "Failed",
  Failed: "Failed",
};

/** The hot signal a pod row contributes, if any. */
export function podSignal(pod: Row): string | undefined {
  const status = typeof pod.status === "string" ? pod.status : "";
  return SIGNALS[status] ?? (pod.phase === "Failed" ? "Failed" : undefined);
}

function highestVersion(nodes: readonly Row[]): string | undefined {
  const versions = nodes.map((n) => String(n.kubeletVersion ?? "")).filter(Boolean);
  const collator = new Intl.Collator(undefined, { numeric: true });
  return versions.sort(collator.compare).at(-1);
}

export function summarize(cluster: ClusterInfo, nodes: readonly Row[], pods: readonly Row[], namespaces: number): FleetEntry {
  const counts = new Map<string, number>();
  let running = 0;
  let pending = 0;
  let failed = 0;
  for (const pod of pods) {
    if (pod.phase === "Running") running++;
    else if (pod.phase === "Pending") pending++;
    else if (pod.phase === "Failed") failed++;
    const signal = podSignal(pod);
    if (signal) counts.set(signal, (counts.get(signal) ?? 0) + 1);
  }
  const ready = nodes.filter((n) => n.ready === true).length;
  const stuckOrFailed = [...counts.values()].reduce((a, b) => a + b, 0);
  const hotSignals = [...counts].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count);
  return {
    ...identity(cluster),
    status: ready < nodes.length || stuckOrFailed > 0 ? "degraded" : "healthy",
    kubernetesVersion: highestVersion(nodes),
    summary: {
      nodes: { ready, total: nodes.length },
      pods: { running, pending, failed, total: pods.length },
      namespaces,
      stuckOrFailed,
    },
    hotSignals,
  };
}

function identity(cluster: ClusterInfo): Pick<FleetEntry, "name" | "backend" | "environment" | "region" | "tags"> {
  const { name, backend, environment, region, tags } = cluster;
  return { name, backend, environment, region, tags };
}

/** Production first, then the usual promotion stages; any other name sorts alphabetically after them. */
const ENV_ORDER = ["prod", "production", "staging", "stage", "qa", "test", "dev", "development"];

function envRank(env: string): number {
  if (env === "other") return Number.MAX_SAFE_INTEGER;
  const known = ENV_ORDER.indexOf(env.toLowerCase());
  return known === -1 ? ENV_ORDER.length : known;
}

/** Entries grouped by environment, production first and unlabelled clusters last under "other". */
export function groupByEnvironment<E extends { environment?: string }>(entries: readonly E[]): [string, E[]][] {
  const groups = new Map<string, E[]>();
  for (const entry of entries) {
    const env = entry.environment || "other";
    groups.set(env, [...(groups.get(env) ?? []), entry]);
  }
  return [...groups].sort(([a], [b]) => envRank(a) - envRank(b) || a.localeCompare(b));
}

export function countByStatus(entries: readonly FleetEntry[]): Record<ClusterStatus, number> {
  const counts: Record<ClusterStatus, number> = { healthy: 0, degraded: 0, unreachable: 0, unknown: 0, denied: 0 };
  for (const entry of entries) counts[entry.status]++;
  return counts;
}
