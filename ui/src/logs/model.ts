/** Log lines as the logs stream sends them (`data: {"t","l","p"?}`), kept in a bounded buffer. */

import type { SseEvent } from "../stream/sse";

export interface LogLine {
  /** Arrival order; the stable key of a row. */
  seq: number;
  /** RFC 3339 time the kubelet stamped. */
  t: string;
  text: string;
  /** The pod, for workload logs. */
  pod: string;
}

export interface LogPod {
  name: string;
  node: string;
}

export type LogEvent =
  | { type: "line"; t: string; text: string; pod: string }
  | { type: "meta"; pods: LogPod[]; total: number; limit: number; message: string }
  | { type: "done" }
  | { type: "error"; message: string; pod: string }
  | { type: "server_shutdown" }
  | { type: "auth_expired" };

/** One SSE event of a log stream; null for events this client does not know. */
export function decodeLogEvent(event: SseEvent): LogEvent | null {
  let body: Record<string, unknown>;
  try {
    body = event.data ? (JSON.parse(event.data) as Record<string, unknown>) : {};
  } catch {
    return { type: "error", message: "an unreadable log event", pod: "" };
  }
  const str = (key: string) => (typeof body[key] === "string" ? (body[key] as string) : "");
  switch (event.event) {
    case "message":
      return { type: "line", t: str("t"), text: str("l"), pod: str("p") };
    case "meta":
      return {
        type: "meta",
        pods: Array.isArray(body.pods) ? (body.pods as LogPod[]) : [],
        total: Number(body.total ?? 0),
        limit: Number(body.limit ?? 0),
        message: str("message"),
      };
    case "done":
      return { type: "done" };
    case "error":
      return { type: "error", message: str("message") || "the log stream failed", pod: str("pod") };
    case "server_shutdown":
      return { type: "server_shutdown" };
    case "auth_expired":
      return { type: "auth_expired" };
    default:
      return null;
  }
}

export interface LogBuffer {
  lines: LogLine[];
  /** Lines dropped from the front to stay under the cap. */
  dropped: number;
  nextSeq: number;
}

export const EMPTY_BUFFER: LogBuffer = { lines: [], dropped: 0, nextSeq: 0 };
const MAX_LINES = 50_000;

/** Appends a batch, dropping the oldest lines beyond `cap` (one copy per batch, not per line). */
export function appendLines(buffer: LogBuffer, batch: readonly Omit<LogLine, "seq">[], cap = MAX_LINES): LogBuffer {
  if (batch.length === 0) return buffer;
  let seq = buffer.nextSeq;
  const added = batch.map((line) => ({ ...line, seq: seq++ }));
  const all = buffer.lines.concat(added);
  const over = Math.max(0, all.length - cap);
  return { lines: over ? all.slice(over) : all, dropped: buffer.dropped + over, nextSeq: seq };
}

export const POD_COLOURS = 8;

/** A colour slot per pod: pods in the meta list take slots in order, others hash to one. */
export function podColour(pod: string, pods: readonly LogPod[]): number {
  const index = pods.findIndex((p) => p.name === pod);
  if (index !== -1) return index % POD_COLOURS;
  let hash = 0;
  for (let i = 0; i < pod.length; i++) hash = (hash * 31 + pod.charCodeAt(i)) | 0;
  return Math.abs(hash) % POD_COLOURS;
}

/** "14:03:07.123" in local time; the stamp itself when it does not parse. */
export function formatStamp(t: string): string {
  const date = new Date(t);
  if (!t || Number.isNaN(date.getTime())) return t;
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export interface LogOptions {
  container: string;
  follow: boolean;
  previous: boolean;
  /** 0 means every line. */
  tailLines: number;
  /** 0 means from the start. */
  sinceSeconds: number;
  grep: string;
  regex: boolean;
}

export const DEFAULT_OPTIONS: LogOptions = {
  container: "",
  follow: true,
  previous: false,
  tailLines: 500,
  sinceSeconds: 0,
  grep: "",
  regex: false,
};

/** The query of the logs route; defaults are left out. */
export function logParams(options: LogOptions, download = false): Record<string, string | undefined> {
  return {
    container: options.container || undefined,
    follow: download ? "false" : String(options.follow),
    previous: options.previous ? "true" : undefined,
    tailLines: options.tailLines > 0 ? String(options.tailLines) : undefined,
    sinceSeconds: options.sinceSeconds > 0 ? String(options.sinceSeconds) : undefined,
    grep: options.grep || undefined,
    regex: options.grep && options.regex ? "true" : undefined,
    timestamps: download ? "true" : undefined,
    download: download ? "1" : undefined,
  };
}

export interface Segment {
  text: string;
  match: boolean;
}

/** The line cut into matching and other parts, to highlight what the server-side filter matched. */
export function highlight(text: string, grep: string, regex: boolean): Segment[] {
  if (!grep) return [{ text, match: false }];
  let pattern: RegExp;
  try {
    pattern = new RegExp(regex ? grep : grep.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g");
  } catch {
    return [{ text, match: false }];
  }
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m[0] === "") break;
    const start = m.index ?? 0;
    if (start > last) out.push({ text: text.slice(last, start), match: false });
    out.push({ text: m[0], match: true });
    last = start + m[0].length;
  }
  if (last < text.length || out.length === 0) out.push({ text: text.slice(last), match: false });
  return out;
}

/** Screen rows a line takes when wrapped at `columns` characters (monospace, so this is exact enough). */
export function wrappedRows(text: string, columns: number): number {
  return Math.max(1, Math.ceil(text.length / Math.max(1, columns)));
}

/** Row offsets (prefix sums) of lines; `offsets[i]` is where line i starts, the last entry the total. */
export function rowOffsets(rows: readonly number[]): number[] {
  const offsets = new Array<number>(rows.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < rows.length; i++) offsets[i + 1] = offsets[i]! + rows[i]!;
  return offsets;
}

/** The line at screen row `row` (binary search over the offsets). */
export function lineAt(offsets: readonly number[], row: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
