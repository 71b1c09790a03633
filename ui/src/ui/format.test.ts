import { describe, expect, it } from "vitest";
import { compactCount, formatAge, statusTone } from "./format";

const now = Date.parse("2026-01-10T12:00:00Z");

describe("formatAge", () => {
  it("prints kubectl-style ages", () => {
    expect(formatAge("2026-01-10T11:59:18Z", now)).toBe("42s");
    expect(formatAge("2026-01-10T11:30:00Z", now)).toBe("30m");
    expect(formatAge("2026-01-10T02:00:00Z", now)).toBe("10h");
    expect(formatAge("2026-01-01T12:00:00Z", now)).toBe("9d");
    expect(formatAge("2023-01-01T12:00:00Z", now)).toBe("3y");
  });

  it("is empty for missing or bad times", () => {
    expect(formatAge("", now)).toBe("");
    expect(formatAge("yesterday", now)).toBe("");
  });
});

describe("statusTone", () => {
  it("classifies Kubernetes status words", () => {
    expect(statusTone("Running")).toBe("ok");
    expect(statusTone("CrashLoopBackOff")).toBe("bad");
    expect(statusTone("ErrImagePull")).toBe("bad");
    expect(statusTone("Ready,SchedulingDisabled")).toBe("warn");
    expect(statusTone("ContainerCreating")).toBe("warn");
    expect(statusTone("Init:0/1")).toBe("warn");
    expect(statusTone("")).toBe("muted");
  });
});

describe("compactCount", () => {
  it("abbreviates large counts", () => {
    expect(compactCount(999)).toBe("999");
    expect(compactCount(1234)).toBe("1.2k");
    expect(compactCount(12_345)).toBe("12k");
    expect(compactCount(2_500_000)).toBe("2.5M");
  });
});
