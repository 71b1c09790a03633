import { describe, expect, it } from "vitest";
import { afterFailure, BACKOFF_MS, STREAM_RETRY_MS } from "./policy";

describe("afterFailure", () => {
  it("falls back to polling at once when the server has no stream or caps streams", () => {
    for (const status of [404, 429, 400]) {
      expect(afterFailure({ kind: "status", status }, [], 0).decision).toEqual({
        health: "polling",
        retryStreamMs: STREAM_RETRY_MS,
      });
    }
  });

  it("asks for a new sign-in on 401", () => {
    expect(afterFailure({ kind: "status", status: 401 }, [], 0).decision).toEqual({ health: "expired" });
  });

  it("reconnects with growing delays, then polls after repeated failures", () => {
    let failures: number[] = [];
    const delays: number[] = [];
    for (let i = 0; i < BACKOFF_MS.length; i++) {
      const result = afterFailure({ kind: "dropped" }, failures, 1000 * i);
      failures = result.failures;
      if (result.decision.health !== "reconnecting") throw new Error(`unexpected ${result.decision.health}`);
      delays.push(result.decision.delayMs);
    }
    expect(delays).toEqual([...BACKOFF_MS]);
    expect(afterFailure({ kind: "status", status: 502 }, failures, 5000).decision.health).toBe("polling");
  });

  it("forgets failures older than the window", () => {
    const old = [0, 1000, 2000];
    expect(afterFailure({ kind: "dropped" }, old, 120_000).decision).toEqual({ health: "reconnecting", delayMs: BACKOFF_MS[0] });
  });

  it("retries quickly after a clean server close", () => {
    const decision = afterFailure({ kind: "server", event: "server_shutdown" }, [], 0).decision;
    expect(decision).toEqual({ health: "reconnecting", delayMs: 250 });
  });
});
