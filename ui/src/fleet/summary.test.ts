import { describe, expect, it } from "vitest";
import type { Row } from "../api/types";
import { countByStatus, groupByEnvironment, summarize, type FleetEntry } from "./summary";

const prod = { name: "prod", backend: "kubeconfig", execEnabled: true, environment: "prod" };

function r(fields: Partial<Row>): Row {
  return { name: "x", namespace: "", uid: "", resourceVersion: "", createdAt: "", labels: {}, ...fields };
}

describe("summarize", () => {
  it("counts nodes, pods and hot signals and marks the cluster degraded", () => {
    const nodes = [r({ ready: true, kubeletVersion: "v1.30.2" }), r({ ready: false, kubeletVersion: "v1.31.0" })];
    const pods = [
      r({ phase: "Running", status: "Running" }),
      r({ phase: "Running", status: "CrashLoopBackOff" }),
      r({ phase: "Pending", status: "ImagePullBackOff" }),
      r({ phase: "Pending", status: "ErrImagePull" }),
      r({ phase: "Failed", status: "Error" }),
    ];
    const entry = summarize(prod, nodes, pods, 7);
    expect(entry.status).toBe("degraded");
    expect(entry.kubernetesVersion).toBe("v1.31.0");
    expect(entry.summary).toEqual({
      nodes: { ready: 1, total: 2 },
      pods: { running: 2, pending: 2, failed: 1, total: 5 },
      namespaces: 7,
      stuckOrFailed: 4,
    });
    expect(entry.hotSignals).toEqual([
      { kind: "ImagePull", count: 2 },
      { kind: "CrashLoop", count: 1 },
      { kind: "Failed", count: 1 },
    ]);
  });

  it("calls a cluster with ready nodes and no stuck pods healthy", () => {
    const entry = summarize(prod, [r({ ready: true })], [r({ phase: "Running", status: "Running" })], 1);
    expect(entry.status).toBe("healthy");
    expect(entry.hotSignals).toEqual([]);
  });
});

describe("grouping", () => {
  const entry = (name: string, environment: string | undefined, status: FleetEntry["status"]): FleetEntry => ({
    name,
    backend: "eks",
    environment,
    status,
    hotSignals: [],
  });
  const entries = [
    entry("a", "staging", "healthy"),
    entry("b", undefined, "denied"),
    entry("c", "prod", "degraded"),
    entry("d", "prod", "healthy"),
    entry("e", "edge", "healthy"),
  ];

  it("groups by environment, production first and unlabelled clusters last", () => {
    expect(groupByEnvironment(entries).map(([env, list]) => [env, list.map((e) => e.name)])).toEqual([
      ["prod", ["c", "d"]],
      ["staging", ["a"]],
      ["edge", ["e"]],
      ["other", ["b"]],
    ]);
  });

  it("counts statuses", () => {
    expect(countByStatus(entries)).toEqual({ healthy: 3, degraded: 1, unreachable: 0, unknown: 0, denied: 1 });
  });
});
