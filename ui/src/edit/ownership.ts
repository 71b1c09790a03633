/** Who owns which line of the YAML being edited, from `GET .../meta`'s managedFields. */

import { LineCounter, parseDocument } from "yaml";
import type { ManagedFieldsEntry, ManagerClass } from "../api/types";
import { covers, lineOf, resolvePath } from "./fieldPath";

export interface LineOwner {
  manager: string;
  class: ManagerClass;
}

export interface OwnedLine {
  line: number;
  owners: LineOwner[];
}

/** GitOps and Helm first: they revert edits, so their glyph is the one to see. */
const WEIGHT: Record<ManagerClass, number> = { gitops: 0, helm: 1, human: 2, controller: 3, periscope: 4, unknown: 5 };

export function dominant(owners: readonly LineOwner[]): LineOwner | undefined {
  return [...owners].sort((a, b) => WEIGHT[a.class] - WEIGHT[b.class])[0];
}

/** Lines of `text` whose field some manager owns, with every owner; unparsable YAML owns nothing. */
export function ownedLines(text: string, entries: readonly ManagedFieldsEntry[]): OwnedLine[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length > 0) return [];
  const byLine = new Map<number, LineOwner[]>();
  for (const entry of entries) {
    for (const field of entry.fields) {
      const path = resolvePath(doc, field);
      const line = path ? lineOf(doc, counter, path) : null;
      if (line === null) continue;
      const owners = byLine.get(line) ?? [];
      if (!owners.some((o) => o.manager === entry.manager)) owners.push({ manager: entry.manager, class: entry.class });
      byLine.set(line, owners);
    }
  }
  return [...byLine].sort(([a], [b]) => a - b).map(([line, owners]) => ({ line, owners }));
}

/** The managers owning `path` or part of it. */
export function ownersOf(path: string, entries: readonly ManagedFieldsEntry[]): LineOwner[] {
  return entries
    .filter((e) => e.fields.some((f) => covers(f, path)))
    .map((e) => ({ manager: e.manager, class: e.class }))
    .filter((o, i, all) => all.findIndex((x) => x.manager === o.manager) === i);
}

/** Hover text for an owned line. */
export function ownerText(owners: readonly LineOwner[]): string {
  const names = owners.map((o) => `${o.manager} (${o.class})`).join(", ");
  const reverts = owners.find((o) => o.class === "gitops" || o.class === "helm");
  return reverts ? `Owned by ${names}. ${reverts.manager} will revert edits to this field.` : `Owned by ${names}.`;
}
