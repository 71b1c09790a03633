import { describe, expect, it } from "vitest";
import { actionsFor, labelPatch, labelProblem, type ActionTarget } from "./catalog";

const deployment: ActionTarget = {
  plural: "deployments",
  gvr: { group: "apps", version: "v1", resource: "deployments" },
  custom: false,
  namespace: "shop",
  name: "web",
};
const node: ActionTarget = { plural: "nodes", gvr: { group: "", version: "v1", resource: "nodes" }, custom: false, namespace: "", name: "n1" };
const ids = (target: ActionTarget, spec?: Record<string, unknown>) =>
  actionsFor(target, spec ? { metadata: { name: target.name }, spec } : undefined).map((a) => a.id);

describe("action catalog", () => {
  it("offers a workload's actions in toolbar order", () => {
    expect(ids(deployment)).toEqual(["scale", "restart", "labels", "delete"]);
  });

  it("checks scale on the scale subresource, as the server writes it", () => {
    const scale = actionsFor(deployment, undefined).find((a) => a.id === "scale");
    expect(scale?.checks).toEqual([
      { verb: "patch", group: "apps", resource: "deployments", subresource: "scale", namespace: "shop", name: "web" },
    ]);
  });

  it("toggles cordon and suspend from the object", () => {
    expect(ids(node, { unschedulable: true })).toContain("uncordon");
    expect(ids(node, {})).toContain("cordon");
    const cron = { ...deployment, plural: "cronjobs", gvr: { group: "batch", version: "v1", resource: "cronjobs" } };
    expect(ids(cron, { suspend: true })).toEqual(["resume", "trigger", "labels", "delete"]);
  });

  it("checks trigger as creating a job in the namespace", () => {
    const cron = { ...deployment, plural: "cronjobs", gvr: { group: "batch", version: "v1", resource: "cronjobs" } };
    const trigger = actionsFor(cron, undefined).find((a) => a.id === "trigger");
    expect(trigger?.checks).toEqual([{ verb: "create", group: "batch", resource: "jobs", namespace: "shop" }]);
  });

  it("gives pods logs and a terminal gated on pods/exec", () => {
    const pod = { ...deployment, plural: "pods", gvr: { group: "", version: "v1", resource: "pods" }, name: "web-0" };
    const actions = actionsFor(pod, undefined);
    expect(actions.map((a) => a.id)).toEqual(["exec", "labels", "delete"]);
    expect(actions.find((a) => a.id === "exec")?.checks[0]).toMatchObject({ verb: "create", resource: "pods", subresource: "exec" });
  });

  it("offers only delete on custom resources", () => {
    const custom = { ...deployment, plural: "nodepools", custom: true, gvr: { group: "karpenter.sh", version: "v1", resource: "nodepools" } };
    expect(ids(custom)).toEqual(["delete"]);
  });
});

describe("label edits", () => {
  it("sends changed and added keys, and null for removed ones", () => {
    expect(labelPatch({ app: "web", tier: "fe", old: "x" }, { app: "web", tier: "be", team: "a" })).toEqual({
      tier: "be",
      team: "a",
      old: null,
    });
    expect(labelPatch({ a: "1" }, { a: "1" })).toEqual({});
  });

  it("validates keys and values as the apiserver would", () => {
    expect(labelProblem("app.kubernetes.io/name", "web")).toBe("");
    expect(labelProblem("team", "")).toBe("");
    expect(labelProblem("bad key", "x")).toMatch(/not a valid label key/);
    expect(labelProblem("ok", "-starts-with-dash")).toMatch(/not a valid label value/);
    expect(labelProblem("ok", "x".repeat(64))).toMatch(/not a valid label value/);
  });
});
