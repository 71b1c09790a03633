import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { FieldConflict } from "../api/types";
import { consequence, initialChoices, resolve } from "./conflicts";

const TEXT = `spec:
  replicas: 5 # bumped
  template:
    spec:
      containers:
      - name: a
        image: a:2
      - name: b
        image: b:2
`;

const conflict = (field: string, manager = "argocd-controller", cls: FieldConflict["class"] = "gitops"): FieldConflict => ({
  field,
  manager,
  class: cls,
  message: `conflict with "${manager}"`,
});

const replicas = conflict(".spec.replicas", "kube-controller-manager", "controller");
const imageA = conflict('.spec.template.spec.containers[name="a"].image');
const imageB = conflict('.spec.template.spec.containers[name="b"].image');

describe("resolving apply conflicts", () => {
  it("starts with every field left to its owner", () => {
    expect(initialChoices([replicas, imageA])).toEqual({ ".spec.replicas": "theirs", '.spec.template.spec.containers[name="a"].image': "theirs" });
  });

  it("removes the fields taken from others and does not force", () => {
    const result = resolve(TEXT, [replicas, imageA], initialChoices([replicas, imageA]));
    expect(result.force).toBe(false);
    expect(result.missing).toEqual([]);
    const spec = parse(result.yaml).spec;
    expect(spec.replicas).toBeUndefined();
    expect(spec.template.spec.containers).toEqual([{ name: "a" }, { name: "b", image: "b:2" }]);
  });

  it("forces when any field is kept, and keeps that field", () => {
    const result = resolve(TEXT, [replicas, imageA, imageB], { ".spec.replicas": "mine", [imageA.field]: "theirs", [imageB.field]: "theirs" });
    expect(result.force).toBe(true);
    const spec = parse(result.yaml).spec;
    expect(spec.replicas).toBe(5);
    expect(spec.template.spec.containers).toEqual([{ name: "a" }, { name: "b" }]);
    expect(result.yaml).toContain("# bumped");
  });

  it("reports conflicting fields the manifest does not contain", () => {
    const result = resolve(TEXT, [conflict(".spec.paused")], {});
    expect(result.missing).toEqual([".spec.paused"]);
    expect(parse(result.yaml)).toEqual(parse(TEXT));
  });

  it("explains what each choice means, warning when a GitOps owner will revert", () => {
    expect(consequence(imageA, "mine")).toMatch(/will put its value back/);
    expect(consequence(replicas, "mine")).toBe("Periscope takes the field over from kube-controller-manager.");
    expect(consequence(imageA, "theirs")).toMatch(/Left to argocd-controller/);
  });
});
