/** A 409 apply conflict, field by field: keep mine (force that field) or take theirs (stop managing it). */

import { parseDocument } from "yaml";
import type { FieldConflict } from "../api/types";
import { resolvePath } from "./fieldPath";

export type Choice = "mine" | "theirs";

export interface Resolution {
  /** The manifest to apply: fields taken from the other manager are removed from it. */
  yaml: string;
  /** Some field is kept against its owner, so the apply must force. */
  force: boolean;
  /** Conflicting fields the YAML does not contain (nothing to remove). */
  missing: string[];
}

/** Every field starts as "theirs": the safe default never overwrites another manager. */
export function initialChoices(conflicts: readonly FieldConflict[]): Record<string, Choice> {
  return Object.fromEntries(conflicts.map((c) => [c.field, "theirs" as Choice]));
}

/** Applies the choices to the manifest. Removing a field from an apply leaves its value to the manager
 * that owns it, which is exactly "take theirs" under server-side apply. */
export function resolve(text: string, conflicts: readonly FieldConflict[], choices: Record<string, Choice>): Resolution {
  const doc = parseDocument(text);
  const missing: string[] = [];
  let force = false;
  // Deepest paths first, so removing an item does not shift the index of another one.
  const fields = [...new Set(conflicts.map((c) => c.field))].sort((a, b) => b.length - a.length);
  const paths: (string | number)[][] = [];
  for (const field of fields) {
    if (choices[field] === "mine") {
      force = true;
      continue;
    }
    const path = resolvePath(doc, field);
    if (path) paths.push(path);
    else missing.push(field);
  }
  paths.sort((a, b) => compareDesc(a, b));
  for (const path of paths) doc.deleteIn(path);
  return { yaml: doc.toString(), force, missing };
}

/** Later siblings before earlier ones, children before parents. */
function compareDesc(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return y - x;
    return 0;
  }
  return b.length - a.length;
}

/** What the conflict's owner will do with the field afterwards, for the row's explanation. */
export function consequence(conflict: FieldConflict, choice: Choice): string {
  if (choice === "theirs") return `Left to ${conflict.manager}; your value is dropped from this apply.`;
  const reverts = conflict.class === "gitops" || conflict.class === "helm";
  return reverts
    ? `Periscope takes the field over, but ${conflict.manager} (${conflict.class}) will put its value back on its next sync.`
    : `Periscope takes the field over from ${conflict.manager}.`;
}
