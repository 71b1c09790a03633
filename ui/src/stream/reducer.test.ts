import { describe, expect, it } from "vitest";
import type { Row } from "../api/types";
import { applyBatch, decodeEvent, EMPTY, fromItems, type StreamMessage } from "./reducer";

function pod(name: string, uid: string, rv: string, extra: Partial<Row> = {}): Row {
  return { name, namespace: "shop", uid, resourceVersion: rv, createdAt: "", labels: {}, ...extra };
}

const names = (state: { rows: ReadonlyMap<string, Row> }) => [...state.rows.values()].map((r) => r.name).sort();

describe("applyBatch", () => {
  it("replaces everything on a snapshot", () => {
    const before = fromItems([pod("old", "u0", "1")], "1");
    const after = applyBatch(before, [{ type: "snapshot", items: [pod("a", "u1", "5"), pod("b", "u2", "6")], resourceVersion: "6" }]);
    expect(names(after)).toEqual(["a", "b"]);
    expect(after.resourceVersion).toBe("6");
    expect(after.synced).toBe(true);
  });

  it("applies adds, modifications and deletions in order", () => {
    const start = fromItems([pod("a", "u1", "1"), pod("b", "u2", "2")], "2");
    const batch: StreamMessage[] = [
      { type: "added", object: pod("c", "u3", "3") },
      { type: "modified", object: pod("a", "u1", "4", { status: "CrashLoopBackOff" }) },
      { type: "deleted", object: pod("b", "u2", "5") },
    ];
    const after = applyBatch(start, batch);
    expect(names(after)).toEqual(["a", "c"]);
    expect(after.rows.get("u1")?.status).toBe("CrashLoopBackOff");
    expect(after.resourceVersion).toBe("5");
  });

  it("treats a re-created object (same name, new uid) as a new row", () => {
    const start = fromItems([pod("web-0", "old", "1")], "1");
    const after = applyBatch(start, [
      { type: "deleted", object: pod("web-0", "old", "2") },
      { type: "added", object: pod("web-0", "new", "3") },
    ]);
    expect([...after.rows.keys()]).toEqual(["new"]);
  });

  it("does not mutate the previous state", () => {
    const start = fromItems([pod("a", "u1", "1")], "1");
    applyBatch(start, [{ type: "deleted", object: pod("a", "u1", "2") }]);
    expect(names(start)).toEqual(["a"]);
  });

  it("marks the list unsynced on relist until the next snapshot", () => {
    const start = fromItems([pod("a", "u1", "1")], "1");
    const relisted = applyBatch(start, [{ type: "relist", reason: "gone_410" }]);
    expect(relisted.synced).toBe(false);
    expect(names(relisted)).toEqual(["a"]);
    const fresh = applyBatch(relisted, [{ type: "snapshot", items: [pod("z", "u9", "9")], resourceVersion: "9" }]);
    expect(fresh.synced).toBe(true);
    expect(names(fresh)).toEqual(["z"]);
  });

  it("returns the same state when a batch changes nothing", () => {
    const start = fromItems([pod("a", "u1", "1")], "1");
    expect(applyBatch(start, [{ type: "backpressure" }])).toBe(start);
  });

  it("starts empty and unsynced", () => {
    expect(EMPTY.rows.size).toBe(0);
    expect(EMPTY.synced).toBe(false);
  });
});

describe("decodeEvent", () => {
  it("decodes the wire events", () => {
    expect(decodeEvent({ event: "snapshot", id: "3", data: '{"resourceVersion":"3","items":[{"name":"a"}]}' })).toEqual({
      type: "snapshot",
      resourceVersion: "3",
      items: [{ name: "a" }],
    });
    expect(decodeEvent({ event: "modified", id: "4", data: '{"object":{"name":"a"}}' })).toEqual({
      type: "modified",
      object: { name: "a" },
    });
    expect(decodeEvent({ event: "relist", id: undefined, data: '{"reason":"gone_410"}' })).toEqual({
      type: "relist",
      reason: "gone_410",
    });
    expect(decodeEvent({ event: "auth_expired", id: undefined, data: "{}" })).toEqual({ type: "auth_expired" });
    expect(decodeEvent({ event: "error", id: undefined, data: '{"message":"boom"}' })).toEqual({
      type: "error",
      message: "boom",
    });
  });

  it("ignores unknown events and deltas without an object", () => {
    expect(decodeEvent({ event: "bookmark", id: undefined, data: "{}" })).toBeNull();
    expect(decodeEvent({ event: "added", id: undefined, data: "{}" })).toBeNull();
  });

  it("reports undecodable data as an error", () => {
    expect(decodeEvent({ event: "added", id: undefined, data: "{oops" })?.type).toBe("error");
  });
});
