import { describe, expect, it } from "vitest";
import { decodePage, decodeRecord, timeline, type AuditRecord } from "./records";

const row = (id: number, timestamp: string, outcome: AuditRecord["outcome"]) =>
  decodeRecord({ id, timestamp, outcome, verb: "apply", actor: { sub: "ada" } });

describe("audit records", () => {
  it("reads rows and fills missing parts", () => {
    const record = decodeRecord({ id: 7, timestamp: "2024-05-01T10:00:00Z", requestId: "r1", verb: "delete", outcome: "denied", actor: { sub: "ada" } });
    expect(record.requestId).toBe("r1");
    expect(record.actor).toEqual({ sub: "ada", email: "", groups: [] });
    expect(record.resource).toEqual({ group: "", version: "", resource: "", namespace: "", name: "" });
  });

  it("reads the page, preferring the scope header", () => {
    const page = decodePage({ items: [{ id: 1 }], total: 9, totalExact: false, nextCursor: "c2", scope: "self" }, "all");
    expect(page).toMatchObject({ total: 9, totalExact: false, nextCursor: "c2", scope: "all" });
    expect(decodePage({ items: [] }, null)).toMatchObject({ total: 0, totalExact: true, nextCursor: "", scope: "self" });
  });
});

describe("outcome timeline", () => {
  it("counts outcomes per bucket over the rows' span", () => {
    const rows = [
      row(1, "2024-05-01T10:00:00Z", "success"),
      row(2, "2024-05-01T10:00:30Z", "denied"),
      row(3, "2024-05-01T10:09:59Z", "failure"),
      row(4, "2024-05-01T10:10:00Z", "success"),
    ];
    const buckets = timeline(rows, 2);
    expect(buckets.map((b) => b.counts)).toEqual([
      { success: 1, failure: 0, denied: 1 },
      { success: 1, failure: 1, denied: 0 },
    ]);
  });

  it("uses an explicit range and drops rows outside it", () => {
    const from = Date.parse("2024-05-01T10:00:00Z");
    const buckets = timeline([row(1, "2024-05-01T09:00:00Z", "success"), row(2, "2024-05-01T10:30:00Z", "denied")], 4, from, from + 3_600_000);
    expect(buckets).toHaveLength(4);
    expect(buckets[2]!.counts.denied).toBe(1);
    expect(buckets.reduce((n, b) => n + b.counts.success, 0)).toBe(0);
  });

  it("is empty without rows or range", () => {
    expect(timeline([], 10)).toEqual([]);
  });
});
