/** When a watch stream fails: reconnect, fall back to polling, or ask the user to sign in again. */

export type Health = "connecting" | "live" | "reconnecting" | "polling" | "expired";

export type Failure =
  | { kind: "status"; status: number }
  | { kind: "dropped" }
  | { kind: "server"; event: "backpressure" | "server_shutdown" | "error" };

export type Decision =
  | { health: "reconnecting"; delayMs: number }
  | { health: "polling"; retryStreamMs: number }
  | { health: "expired" };

/** Reconnect delays; after this many failures inside the window the page polls instead. */
export const BACKOFF_MS = [1000, 3000, 8000] as const;
const FAILURE_WINDOW_MS = 60_000;
/** While polling, the stream is tried again after this long (a 429 or an upgrade may have passed). */
export const STREAM_RETRY_MS = 5 * 60_000;

// No stream route (older server, kind not streamed), a bad request, or the per-user stream cap.
const POLL_AT_ONCE = new Set([400, 404, 405, 406, 429, 501]);

/** The decision for ``failure`` given the times of earlier failures; returns the updated failure list too. */
export function afterFailure(
  failure: Failure,
  earlier: readonly number[],
  now: number,
): { decision: Decision; failures: number[] } {
  if (failure.kind === "status" && failure.status === 401) return { decision: { health: "expired" }, failures: [] };
  const failures = [...earlier.filter((t) => now - t < FAILURE_WINDOW_MS), now];
  const atOnce = failure.kind === "status" && POLL_AT_ONCE.has(failure.status);
  if (atOnce || failures.length > BACKOFF_MS.length) {
    return { decision: { health: "polling", retryStreamMs: STREAM_RETRY_MS }, failures };
  }
  // A clean server close (shutdown, backpressure) is worth an immediate-ish retry.
  const delayMs = failure.kind === "server" && failure.event !== "error" ? 250 : BACKOFF_MS[failures.length - 1] ?? 8000;
  return { decision: { health: "reconnecting", delayMs }, failures };
}
