/** Drift while editing: what changed on the live object since the editor opened, and who changed it. */

import type { Change, KubeObject, ManagedFieldsEntry, ObjectMeta } from "../api/types";
import { covers } from "./fieldPath";

/** Fields that change on every write or belong to controllers' reporting, not to the spec being edited. */
const IGNORED = [".status", ".metadata.resourceVersion", ".metadata.managedFields", ".metadata.generation"];

function keyed(items: unknown[]): Map<string, unknown> | null {
  const byName = new Map<string, unknown>();
  for (const item of items) {
    const name = (item as { name?: unknown } | null)?.name;
    if (typeof name !== "string" || byName.has(name)) return null;
    byName.set(name, item);
  }
  return byName;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function walk(path: string, before: unknown, after: unknown, out: Change[]): void {
  if (before && after && typeof before === "object" && typeof after === "object" && !Array.isArray(before) && !Array.isArray(after)) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) step(`${path}.${key}`, key in b, b[key], key in a, a[key], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && !same(before, after)) {
    const old = keyed(before);
    const next = keyed(after);
    if (old && next) {
      for (const name of new Set([...old.keys(), ...next.keys()])) {
        step(`${path}[name=${JSON.stringify(name)}]`, old.has(name), old.get(name), next.has(name), next.get(name), out);
      }
      return;
    }
  }
  if (!same(before, after)) out.push({ path, op: "change", before, after });
}

function step(path: string, had: boolean, before: unknown, has: boolean, after: unknown, out: Change[]): void {
  if (IGNORED.includes(path)) return;
  if (had && has) walk(path, before, after, out);
  else if (has) out.push({ path, op: "add", after });
  else if (had) out.push({ path, op: "remove", before });
}

/** The changes from `before` to `after`, spelled like the server's apply diff; status and bookkeeping ignored. */
export function objectChanges(before: KubeObject, after: KubeObject): Change[] {
  const out: Change[] = [];
  walk("", before, after, out);
  return out;
}

export interface Writer {
  manager: string;
  class: ManagedFieldsEntry["class"];
  time: string;
  operation: string;
}

/** The managers that own the changed fields, most recent first; the newest writer when none owns them. */
export function writersOf(changes: readonly Change[], meta: ObjectMeta): Writer[] {
  const entries = [...meta.managedFields].sort((a, b) => (b.time ?? "").localeCompare(a.time ?? ""));
  const owning = entries.filter((e) => e.fields.some((f) => changes.some((c) => covers(f, c.path))));
  const chosen = owning.length > 0 ? owning : entries.slice(0, 1);
  const seen = new Set<string>();
  return chosen
    .filter((e) => !seen.has(e.manager) && seen.add(e.manager))
    .map((e) => ({ manager: e.manager, class: e.class, time: e.time ?? "", operation: e.operation ?? "" }));
}
