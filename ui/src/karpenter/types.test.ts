import { describe, expect, it } from "vitest";
import { dollarsPerHour, hasKarpenterV1, percent, usageText } from "./types";

describe("money", () => {
  it("formats $/h and shares, with a dash when there is no figure", () => {
    expect(dollarsPerHour(0.41292)).toBe("$0.413/h");
    expect(dollarsPerHour(12.5)).toBe("$12.50/h");
    expect(dollarsPerHour(undefined)).toBe("—");
    expect(percent(0.4733)).toBe("47 %");
    expect(percent(null)).toBe("—");
  });
});

describe("usageText", () => {
  it("shows use against the limit, use alone, or a dash", () => {
    expect(usageText({ name: "a", usage: { cpu: "12" }, limits: { cpu: "1000" } }, "cpu")).toBe("12 / 1000");
    expect(usageText({ name: "a", limits: { memory: "1000Gi" } }, "memory")).toBe("0 / 1000Gi");
    expect(usageText({ name: "a", usage: { cpu: "4" } }, "cpu")).toBe("4");
    expect(usageText({ name: "a" }, "cpu")).toBe("—");
  });
});

describe("hasKarpenterV1", () => {
  it("needs karpenter.sh nodepools served at v1", () => {
    const v1 = { group: "karpenter.sh", plural: "nodepools", versions: [{ name: "v1" }] };
    expect(hasKarpenterV1([v1])).toBe(true);
    expect(hasKarpenterV1([{ ...v1, versions: [{ name: "v1beta1" }] }])).toBe(false);
    expect(hasKarpenterV1([{ ...v1, group: "example.com" }])).toBe(false);
  });
});
