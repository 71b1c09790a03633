/** One watch stream over fetch (so status codes and Last-Event-ID are ours), batched and self-healing. */

import { afterFailure, type Failure, type Health } from "./policy";
import { decodeEvent, type StreamMessage } from "./reducer";
import { SseParser } from "./sse";

export interface FeedCallbacks {
  /** Messages buffered since the last flush, in arrival order. */
  onMessages: (messages: StreamMessage[]) => void;
  onHealth: (health: Health) => void;
}

/** The original console flushed deltas into the cache every 50 ms; so do we. */
const FLUSH_MS = 50;
/** The server pings every 15 s; three missed pings mean the connection is dead. */
const SILENCE_MS = 45_000;
/** A hidden tab keeps its stream this long, then closes it until the tab is visible again. */
const HIDDEN_CLOSE_MS = 60_000;

/** What the feed needs from the browser; tests pass their own. */
export interface FeedEnvironment {
  fetch: typeof fetch;
  document: Pick<Document, "visibilityState" | "addEventListener" | "removeEventListener">;
}

export class WatchFeed {
  private readonly url: string;
  private readonly callbacks: FeedCallbacks;
  private readonly env: FeedEnvironment;
  private controller: AbortController | null = null;
  private parser = new SseParser();
  private buffer: StreamMessage[] = [];
  private failures: number[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private hiddenTimer: ReturnType<typeof setTimeout> | null = null;
  private pausedWhileHidden = false;
  private stopped = false;

  constructor(url: string, callbacks: FeedCallbacks, env: FeedEnvironment = { fetch: (...a) => fetch(...a), document }) {
    this.url = url;
    this.callbacks = callbacks;
    this.env = env;
  }

  start(): void {
    this.env.document.addEventListener("visibilitychange", this.onVisibility);
    this.connect("connecting");
  }

  stop(): void {
    this.stopped = true;
    this.env.document.removeEventListener("visibilitychange", this.onVisibility);
    this.close();
    for (const timer of [this.flushTimer, this.retryTimer, this.hiddenTimer]) if (timer) clearTimeout(timer);
  }

  private connect(health: Health): void {
    if (this.stopped) return;
    this.callbacks.onHealth(health);
    const controller = new AbortController();
    this.controller = controller;
    void this.run(controller).catch(() => {
      if (!controller.signal.aborted) this.fail({ kind: "dropped" });
    });
  }

  private close(): void {
    this.controller?.abort();
    this.controller = null;
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
  }

  private async run(controller: AbortController): Promise<void> {
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (this.parser.lastEventId) headers["Last-Event-ID"] = this.parser.lastEventId;
    const response = await this.env.fetch(this.url, { headers, signal: controller.signal, credentials: "same-origin" });
    const type = response.headers.get("content-type") ?? "";
    if (!response.ok || !response.body || !type.includes("text/event-stream")) {
      // A 200 that is not an event stream is a server without the route answering with a page.
      return this.fail({ kind: "status", status: response.ok ? 404 : response.status });
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    this.heartbeat();
    for (;;) {
      const { done, value } = await reader.read();
      if (controller.signal.aborted) return;
      if (done) return this.fail({ kind: "dropped" });
      this.heartbeat();
      for (const event of this.parser.feed(value)) {
        const message = decodeEvent(event);
        if (message && this.handle(message)) return;
      }
    }
  }

  /** Buffers data messages; returns true when the stream must end. */
  private handle(message: StreamMessage): boolean {
    switch (message.type) {
      case "auth_expired":
        this.flush();
        this.close();
        this.callbacks.onHealth("expired");
        return true;
      case "backpressure":
      case "server_shutdown":
      case "error":
        this.fail({ kind: "server", event: message.type });
        return true;
      case "snapshot":
        this.failures = [];
        this.callbacks.onHealth("live");
        break;
      default:
        break;
    }
    this.buffer.push(message);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
    return false;
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.callbacks.onMessages(batch);
  }

  private heartbeat(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.fail({ kind: "dropped" }), SILENCE_MS);
  }

  private fail(failure: Failure): void {
    this.flush();
    this.close();
    if (this.stopped) return;
    const { decision, failures } = afterFailure(failure, this.failures, Date.now());
    this.failures = failures;
    if (decision.health === "expired") {
      this.callbacks.onHealth("expired");
      return;
    }
    if (decision.health === "polling") {
      // Polled data replaces the stream's, so the next stream starts from a fresh snapshot.
      this.parser = new SseParser();
      this.callbacks.onHealth("polling");
      this.retryTimer = setTimeout(() => this.connect("polling"), decision.retryStreamMs);
      return;
    }
    this.callbacks.onHealth("reconnecting");
    this.retryTimer = setTimeout(() => this.connect("reconnecting"), decision.delayMs);
  }

  private readonly onVisibility = (): void => {
    if (this.env.document.visibilityState === "hidden") {
      this.hiddenTimer = setTimeout(() => {
        if (!this.controller) return;
        this.pausedWhileHidden = true;
        this.close();
      }, HIDDEN_CLOSE_MS);
      return;
    }
    if (this.hiddenTimer) clearTimeout(this.hiddenTimer);
    if (this.pausedWhileHidden) {
      this.pausedWhileHidden = false;
      this.connect("reconnecting");
    }
  };
}
