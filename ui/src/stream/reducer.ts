/** The live list: watch-stream events decoded and folded, a batch at a time, into rows keyed by uid. */

import type { Row } from "../api/types";
import type { SseEvent } from "./sse";

export type DeltaType = "added" | "modified" | "deleted";

export type StreamMessage =
  | { type: "snapshot"; items: Row[]; resourceVersion: string }
  | { type: DeltaType; object: Row }
  | { type: "relist"; reason: string }
  | { type: "backpressure" | "server_shutdown" | "auth_expired" }
  | { type: "error"; message: string };

export interface ListState {
  rows: ReadonlyMap<string, Row>;
  resourceVersion: string;
  /** False between a relist notice and the snapshot that follows it. */
  synced: boolean;
}

export const EMPTY: ListState = { rows: new Map(), resourceVersion: "", synced: false };

/** uid when the row has one; a re-created object gets a new uid, so it is a new row. */
export function rowKey(row: Pick<Row, "uid" | "namespace" | "name">): string {
  return row.uid || `${row.namespace}/${row.name}`;
}

export function fromItems(items: readonly Row[], resourceVersion: string): ListState {
  return { rows: new Map(items.map((row) => [rowKey(row), row])), resourceVersion, synced: true };
}

function isRow(value: unknown): value is Row {
  return typeof value === "object" && value !== null && typeof (value as Row).name === "string";
}

/** One SSE event as a message; null for events this client does not know (forward compatible). */
export function decodeEvent(event: SseEvent): StreamMessage | null {
  let body: Record<string, unknown>;
  try {
    body = event.data ? (JSON.parse(event.data) as Record<string, unknown>) : {};
  } catch {
    return { type: "error", message: `undecodable ${event.event} event` };
  }
  switch (event.event) {
    case "snapshot": {
      const items = Array.isArray(body.items) ? body.items.filter(isRow) : [];
      return { type: "snapshot", items, resourceVersion: String(body.resourceVersion ?? event.id ?? "") };
    }
    case "added":
    case "modified":
    case "deleted":
      return isRow(body.object) ? { type: event.event, object: body.object } : null;
    case "relist":
      return { type: "relist", reason: String(body.reason ?? "") };
    case "backpressure":
    case "server_shutdown":
    case "auth_expired":
      return { type: event.event };
    case "error":
      return { type: "error", message: String(body.message ?? "stream error") };
    default:
      return null;
  }
}

/** Fold a batch of messages into the state; the map is copied once per batch, not per event. */
export function applyBatch(state: ListState, messages: readonly StreamMessage[]): ListState {
  let rows: Map<string, Row> | null = null;
  let { resourceVersion, synced } = state;
  const writable = (): Map<string, Row> => (rows ??= new Map(state.rows));
  for (const message of messages) {
    switch (message.type) {
      case "snapshot":
        rows = new Map(message.items.map((row) => [rowKey(row), row]));
        resourceVersion = message.resourceVersion;
        synced = true;
        break;
      case "added":
      case "modified":
        writable().set(rowKey(message.object), message.object);
        resourceVersion = message.object.resourceVersion || resourceVersion;
        break;
      case "deleted":
        writable().delete(rowKey(message.object));
        resourceVersion = message.object.resourceVersion || resourceVersion;
        break;
      case "relist":
        synced = false;
        break;
      default:
        break;
    }
  }
  if (rows === null && resourceVersion === state.resourceVersion && synced === state.synced) return state;
  return { rows: rows ?? state.rows, resourceVersion, synced };
}
