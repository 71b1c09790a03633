import { describe, expect, it } from "vitest";
import type { KubeObject } from "../api/types";
import { at, conditions, conditionTone, containers, facts, podSelector, remainder } from "./describe";

const pod: KubeObject = {
  kind: "Pod",
  metadata: { name: "web-0", namespace: "shop" },
  spec: {
    nodeName: "node-a",
    initContainers: [{ name: "init", image: "busybox" }],
    containers: [{ name: "web", image: "nginx:1.27", ports: [{ containerPort: 80 }], resources: { limits: { cpu: "1" } } }],
  },
  status: {
    phase: "Running",
    conditions: [{ type: "Ready", status: "True" }],
    containerStatuses: [{ name: "web", ready: false, restartCount: 4, state: { waiting: { reason: "CrashLoopBackOff" } } }],
  },
};

describe("describe extraction", () => {
  it("reads dotted paths", () => {
    expect(at(pod, "spec.nodeName")).toBe("node-a");
    expect(at(pod, "spec.missing.deeper")).toBeUndefined();
  });

  it("lists the facts the object has", () => {
    expect(facts(pod)).toEqual([
      ["Phase", "Running"],
      ["Node", "node-a"],
    ]);
  });

  it("joins container specs with their statuses, init containers first", () => {
    expect(containers(pod)).toEqual([
      { name: "init", image: "busybox", init: true, ready: undefined, restarts: undefined, state: undefined, requests: undefined, limits: undefined, ports: [] },
      { name: "web", image: "nginx:1.27", init: false, ready: false, restarts: 4, state: "Waiting: CrashLoopBackOff", requests: undefined, limits: { cpu: "1" }, ports: ["80/TCP"] },
    ]);
  });

  it("finds containers in workload and cron job templates", () => {
    const deployment: KubeObject = { metadata: { name: "d" }, spec: { template: { spec: { containers: [{ name: "app" }] } } } };
    const cron: KubeObject = {
      metadata: { name: "c" },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "job" }] } } } } },
    };
    expect(containers(deployment).map((c) => c.name)).toEqual(["app"]);
    expect(containers(cron).map((c) => c.name)).toEqual(["job"]);
  });

  it("colours conditions by what they mean, not by True/False", () => {
    expect(conditionTone({ type: "Ready", status: "True" })).toBe("ok");
    expect(conditionTone({ type: "Ready", status: "False" })).toBe("bad");
    expect(conditionTone({ type: "MemoryPressure", status: "False" })).toBe("ok");
    expect(conditionTone({ type: "NetworkUnavailable", status: "True" })).toBe("bad");
    expect(conditionTone({ type: "Ready", status: "Unknown" })).toBe("muted");
  });

  it("leaves shown parts out of the remaining status", () => {
    expect(conditions(pod)).toHaveLength(1);
    expect(remainder(pod).status).toEqual({ phase: "Running" });
  });

  it("builds pod selectors for workloads and services only", () => {
    expect(podSelector({ kind: "Deployment", metadata: { name: "d" }, spec: { selector: { matchLabels: { app: "web", tier: "fe" } } } })).toBe(
      "app=web,tier=fe",
    );
    expect(podSelector({ kind: "Service", metadata: { name: "s" }, spec: { selector: { app: "web" } } })).toBe("app=web");
    expect(podSelector({ kind: "NetworkPolicy", metadata: { name: "n" }, spec: { podSelector: {} } })).toBe("");
  });
});
