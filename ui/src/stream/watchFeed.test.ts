import { afterEach, describe, expect, it, vi } from "vitest";
import type { Health } from "./policy";
import type { StreamMessage } from "./reducer";
import { WatchFeed, type FeedEnvironment } from "./watchFeed";

const quietDocument: FeedEnvironment["document"] = {
  visibilityState: "visible",
  addEventListener: () => undefined,
  removeEventListener: () => undefined,
};

/** A server that answers each request with the next scripted response and records request headers. */
function server(responses: (() => Response)[]) {
  const seen: Headers[] = [];
  const fetchImpl = (async (_url: string, init?: RequestInit) => {
    seen.push(new Headers(init?.headers));
    const next = responses.shift();
    if (!next) return new Promise<Response>(() => undefined);
    return next();
  }) as typeof fetch;
  return { fetchImpl, seen };
}

function sse(text: string): Response {
  return new Response(new Blob([text]).stream(), { headers: { "content-type": "text/event-stream" } });
}

let feed: WatchFeed | null = null;
afterEach(() => feed?.stop());

function run(responses: (() => Response)[]) {
  const health: Health[] = [];
  const batches: StreamMessage[][] = [];
  const { fetchImpl, seen } = server(responses);
  feed = new WatchFeed("/api/clusters/c/pods/watch", { onHealth: (h) => health.push(h), onMessages: (m) => batches.push(m) }, {
    fetch: fetchImpl,
    document: quietDocument,
  });
  feed.start();
  return { health, batches, seen };
}

describe("WatchFeed", () => {
  it("falls back to polling when the server has no watch route", async () => {
    const { health } = run([() => new Response('{"error":"E_NOT_FOUND"}', { status: 404 })]);
    await vi.waitFor(() => expect(health).toEqual(["connecting", "polling"]));
  });

  it("treats a page answered instead of an event stream as no stream", async () => {
    const { health } = run([() => new Response("<!doctype html>", { headers: { "content-type": "text/html" } })]);
    await vi.waitFor(() => expect(health.at(-1)).toBe("polling"));
  });

  it("goes live on the snapshot and delivers events in one batch", async () => {
    const snapshot = 'event: snapshot\nid: 5\ndata: {"resourceVersion":"5","items":[{"name":"a","uid":"1"}]}\n\n';
    const added = 'event: added\nid: 6\ndata: {"object":{"name":"b","uid":"2"}}\n\n: ping\n\n';
    const { health, batches } = run([() => sse(snapshot + added)]);
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    expect(health.slice(0, 2)).toEqual(["connecting", "live"]);
    expect(batches[0]?.map((m) => m.type)).toEqual(["snapshot", "added"]);
  });

  it("reconnects after a drop and resumes from the last event id", async () => {
    const { health, seen } = run([() => sse('event: snapshot\nid: 41\ndata: {"items":[]}\n\n')]);
    await vi.waitFor(() => expect(health).toContain("reconnecting"), { timeout: 2000 });
    await vi.waitFor(() => expect(seen).toHaveLength(2), { timeout: 3000 });
    expect(seen[0]?.get("Last-Event-ID")).toBeNull();
    expect(seen[1]?.get("Last-Event-ID")).toBe("41");
  });

  it("stops on auth_expired and reports it", async () => {
    const { health } = run([() => sse("event: auth_expired\ndata: {}\n\n")]);
    await vi.waitFor(() => expect(health.at(-1)).toBe("expired"));
  });
});
