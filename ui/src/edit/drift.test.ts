import { describe, expect, it } from "vitest";
import type { KubeObject, ObjectMeta } from "../api/types";
import { objectChanges, writersOf } from "./drift";

const base: KubeObject = {
  metadata: { name: "web", resourceVersion: "10", labels: { app: "web" } },
  spec: { replicas: 3, template: { spec: { containers: [{ name: "app", image: "nginx:1" }] } } },
  status: { readyReplicas: 3 },
};

describe("drift", () => {
  it("ignores status and bookkeeping churn", () => {
    const after = { ...base, metadata: { ...base.metadata, resourceVersion: "11" }, status: { readyReplicas: 2 } };
    expect(objectChanges(base, after)).toEqual([]);
  });

  it("reports spec changes with apiserver-style paths", () => {
    const after: KubeObject = {
      ...base,
      metadata: { ...base.metadata, labels: { app: "web", team: "a" } },
      spec: { replicas: 5, template: { spec: { containers: [{ name: "app", image: "nginx:2" }] } } },
    };
    expect(objectChanges(base, after)).toEqual([
      { path: ".metadata.labels.team", op: "add", after: "a" },
      { path: ".spec.replicas", op: "change", before: 3, after: 5 },
      { path: '.spec.template.spec.containers[name="app"].image', op: "change", before: "nginx:1", after: "nginx:2" },
    ]);
  });

  it("names the managers owning the changed fields, newest first", () => {
    const meta: ObjectMeta = {
      resourceVersion: "11",
      managedFields: [
        { manager: "kubectl-edit", class: "human", time: "2024-01-01T00:00:00Z", operation: "Update", fields: [".spec.replicas"] },
        { manager: "argocd-controller", class: "gitops", time: "2024-01-02T00:00:00Z", operation: "Apply", fields: [".spec.replicas"] },
        { manager: "kube-controller-manager", class: "controller", time: "2024-01-03T00:00:00Z", operation: "Update", fields: [".status"] },
      ],
    };
    const changes = [{ path: ".spec.replicas", op: "change" as const, before: 3, after: 5 }];
    expect(writersOf(changes, meta).map((w) => w.manager)).toEqual(["argocd-controller", "kubectl-edit"]);
  });

  it("falls back to the newest writer when nobody owns the change", () => {
    const meta: ObjectMeta = {
      resourceVersion: "11",
      managedFields: [
        { manager: "old", class: "unknown", time: "2024-01-01T00:00:00Z", fields: [".x"] },
        { manager: "new", class: "human", time: "2024-02-01T00:00:00Z", fields: [".y"] },
      ],
    };
    expect(writersOf([{ path: ".spec.paused", op: "add", after: true }], meta).map((w) => w.manager)).toEqual(["new"]);
    expect(writersOf([], { resourceVersion: "1", managedFields: [] })).toEqual([]);
  });
});
