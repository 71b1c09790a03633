import { describe, expect, it } from "vitest";
import { LineCounter, parseDocument } from "yaml";
import { covers, lineOf, resolvePath } from "./fieldPath";

const TEXT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
    app: web
  finalizers:
  - example.com/keep
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: sidecar
        image: envoy:1
      - name: app
        image: nginx:1.27
        ports:
        - containerPort: 80
          protocol: TCP
        - containerPort: 80
          protocol: UDP
`;

function load() {
  const counter = new LineCounter();
  const doc = parseDocument(TEXT, { lineCounter: counter });
  return { doc, counter };
}

describe("apiserver field paths in a YAML document", () => {
  it("follows fields and named list items", () => {
    const { doc } = load();
    expect(resolvePath(doc, ".spec.replicas")).toEqual(["spec", "replicas"]);
    expect(resolvePath(doc, '.spec.template.spec.containers[name="app"].image')).toEqual([
      "spec", "template", "spec", "containers", 1, "image",
    ]);
  });

  it("takes the longest key, so dotted label keys resolve", () => {
    const { doc } = load();
    expect(resolvePath(doc, ".metadata.labels.app.kubernetes.io/name")).toEqual(["metadata", "labels", "app.kubernetes.io/name"]);
    expect(resolvePath(doc, ".metadata.labels.app")).toEqual(["metadata", "labels", "app"]);
  });

  it("matches multi-key items, set values and indexes", () => {
    const { doc } = load();
    expect(resolvePath(doc, '.spec.template.spec.containers[name="app"].ports[containerPort=80,protocol="UDP"]')).toEqual([
      "spec", "template", "spec", "containers", 1, "ports", 1,
    ]);
    expect(resolvePath(doc, '.metadata.finalizers[="example.com/keep"]')).toEqual(["metadata", "finalizers", 0]);
    expect(resolvePath(doc, ".spec.template.spec.containers[0].name")).toEqual(["spec", "template", "spec", "containers", 0, "name"]);
  });

  it("returns null for paths the document does not have", () => {
    const { doc } = load();
    expect(resolvePath(doc, ".spec.paused")).toBeNull();
    expect(resolvePath(doc, '.spec.template.spec.containers[name="gone"].image')).toBeNull();
    expect(resolvePath(doc, ".spec.replicas.deeper")).toBeNull();
    expect(resolvePath(doc, "spec")).toBeNull();
  });

  it("finds the line of keys and list items", () => {
    const { doc, counter } = load();
    expect(lineOf(doc, counter, ["spec", "replicas"])).toBe(11);
    expect(lineOf(doc, counter, ["spec", "template", "spec", "containers", 1])).toBe(17);
    expect(lineOf(doc, counter, ["spec"])).toBe(10);
  });
});

describe("covers", () => {
  it("relates a field to its parents and children, not to siblings with a common prefix", () => {
    expect(covers(".spec", ".spec.replicas")).toBe(true);
    expect(covers(".spec.replicas", ".spec")).toBe(true);
    expect(covers('.spec.containers[name="a"]', '.spec.containers[name="a"].image')).toBe(true);
    expect(covers(".spec.replica", ".spec.replicas")).toBe(false);
  });
});
