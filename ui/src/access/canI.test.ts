import { describe, expect, it } from "vitest";
import { ALLOWED, checkKey, combine, gate, permission, UNCHECKED, type AccessCheck } from "./canI";

const scale: AccessCheck = { verb: "patch", group: "apps", resource: "deployments", subresource: "scale", namespace: "shop", name: "web" };
const cordon: AccessCheck = { verb: "patch", group: "", resource: "nodes", name: "n1" };

describe("can-i gating", () => {
  it("spells permissions as RBAC does", () => {
    expect(permission(scale)).toBe("patch deployments/scale.apps");
    expect(permission(cordon)).toBe("patch nodes");
  });

  it("enables allowed actions", () => {
    expect(gate(scale, { allowed: true, reason: "" })).toEqual(ALLOWED);
  });

  it("explains a namespaced denial and says where the user can act", () => {
    const g = gate(scale, { allowed: false, reason: "denied", namespaces: ["dev", "staging"] });
    expect(g.state).toBe("denied");
    expect(g.reason).toBe("Not allowed: you lack patch deployments/scale.apps in namespace shop. You can do it in: dev, staging.");
  });

  it("shortens long namespace lists and says when nowhere allows it", () => {
    const many = gate(scale, { allowed: false, reason: "denied", namespaces: ["a", "b", "c", "d", "e", "f", "g"] });
    expect(many.reason).toContain("You can do it in: a, b, c, d, e and 2 more.");
    expect(gate(scale, { allowed: false, reason: "denied", namespaces: [] }).reason).toContain("not allowed in any namespace");
  });

  it("does not suggest namespaces for cluster-scoped checks", () => {
    expect(gate(cordon, { allowed: false, reason: "denied", namespaces: null }).reason).toBe("Not allowed: you lack patch nodes.");
  });

  it("fails closed with the server's reason codes", () => {
    expect(gate(scale, { allowed: false, reason: "timeout" }).reason).toMatch(/timed out/);
    expect(gate(scale, { allowed: false, reason: "apiserver_unreachable" }).reason).toMatch(/could not be reached/);
    expect(gate(scale, { allowed: false, reason: "unauthenticated" }).reason).toBe("Sign in to do this.");
  });

  it("treats a missing answer as unknown, not as denied", () => {
    expect(gate(scale, undefined)).toEqual(UNCHECKED);
  });

  it("combines several checks: any denial wins, then unknown", () => {
    const denied = gate(cordon, { allowed: false, reason: "denied" });
    expect(combine([ALLOWED, UNCHECKED, denied])).toBe(denied);
    expect(combine([ALLOWED, UNCHECKED])).toBe(UNCHECKED);
    expect(combine([])).toEqual(ALLOWED);
  });

  it("keys checks by every field", () => {
    expect(checkKey(scale)).not.toBe(checkKey({ ...scale, subresource: undefined }));
    expect(checkKey(cordon)).toBe("patch||nodes|||n1");
  });
});
