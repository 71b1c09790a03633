/** Field paths as the apiserver spells them (`.spec.template.spec.containers[name="app"].image`),
 * resolved against a YAML document: to a line for ownership glyphs, to a node for "take theirs". */

import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

export type YamlPath = (string | number)[];

/** `[name="app"]` -> {name: "app"}; `[containerPort=80,protocol="TCP"]` -> two keys; values are JSON. */
function parseKey(text: string): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  let rest = text;
  while (rest) {
    const eq = rest.indexOf("=");
    if (eq <= 0) return null;
    const key = rest.slice(0, eq);
    rest = rest.slice(eq + 1);
    const value = readJson(rest);
    if (!value) return null;
    out[key] = value.value;
    rest = value.rest.slice(1);
  }
  return out;
}

/** The JSON value at the start of `text` and what follows it (up to a comma at depth 0). */
function readJson(text: string): { value: unknown; rest: string } | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i <= text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") depth--;
    else if ((ch === "," && depth === 0) || ch === undefined) {
      try {
        return { value: JSON.parse(text.slice(0, i)), rest: text.slice(i) };
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** The end of a bracket segment starting at `start` ("["), skipping brackets inside JSON strings. */
function closingBracket(path: string, start: number): number {
  let inString = false;
  let depth = 0;
  for (let i = start; i < path.length; i++) {
    const ch = path[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "[") depth++;
    else if (ch === "]" && --depth === 0) return i;
  }
  return -1;
}

function plain(node: unknown): unknown {
  if (isScalar(node)) return node.value;
  if (isMap(node) || isSeq(node)) return node.toJSON();
  return undefined;
}

function matches(item: unknown, key: Record<string, unknown>): boolean {
  if (!isMap(item)) return false;
  return Object.entries(key).every(([k, v]) => JSON.stringify(plain(item.get(k, true))) === JSON.stringify(v));
}

/** The YAML path for an apiserver field path, or null when the document does not contain it. */
export function resolvePath(doc: Document, path: string): YamlPath | null {
  const out: YamlPath = [];
  let node: unknown = doc.contents;
  let rest = path;
  while (rest) {
    if (rest.startsWith(".")) {
      if (!isMap(node)) return null;
      // Keys may contain dots (label keys): take the longest key of this map the path continues with.
      let best: string | null = null;
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : null;
        if (key === null || !rest.startsWith(`.${key}`)) continue;
        const next = rest[key.length + 1];
        if ((next === undefined || next === "." || next === "[") && (best === null || key.length > best.length)) best = key;
      }
      if (best === null) return null;
      out.push(best);
      node = node.get(best, true);
      rest = rest.slice(best.length + 1);
    } else if (rest.startsWith("[")) {
      const end = closingBracket(rest, 0);
      if (end === -1 || !isSeq(node)) return null;
      const inner = rest.slice(1, end);
      rest = rest.slice(end + 1);
      const seq = node;
      let index: number;
      if (/^\d+$/.test(inner)) index = Number(inner);
      else if (inner.startsWith("=")) {
        const value = readJson(inner.slice(1));
        if (!value) return null;
        index = seq.items.findIndex((item) => JSON.stringify(plain(item)) === JSON.stringify(value.value));
      } else {
        const key = parseKey(inner);
        if (!key) return null;
        index = seq.items.findIndex((item) => matches(item, key));
      }
      if (index < 0 || index >= seq.items.length) return null;
      out.push(index);
      node = seq.items[index];
    } else {
      return null;
    }
  }
  return out;
}

/** The 1-based line where the node at `path` starts (its key, for a map entry). */
export function lineOf(doc: Document, counter: LineCounter, path: YamlPath): number | null {
  if (path.length === 0) return null;
  const parent = doc.getIn(path.slice(0, -1), true) as Node | undefined;
  const last = path[path.length - 1];
  let offset: number | undefined;
  if (isMap(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
    offset = (pair?.key as Node | undefined)?.range?.[0];
  } else if (isSeq(parent) && typeof last === "number") {
    offset = (parent.items[last] as Node | undefined)?.range?.[0];
  }
  return offset === undefined ? null : counter.linePos(offset).line;
}

/** Whether owning `owned` means owning part of a change at `changed` (one contains the other). */
export function covers(owned: string, changed: string): boolean {
  const [short, long] = owned.length <= changed.length ? [owned, changed] : [changed, owned];
  return long === short || (long.startsWith(short) && (long[short.length] === "." || long[short.length] === "["));
}
