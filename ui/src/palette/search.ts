/** Ranking for the command palette: the original console's scores, applied in the browser. */

export interface Candidate {
  kind: string;
  name: string;
  namespace: string;
}

/** exact 100, prefix 70, contains 40, namespace contains 20, otherwise no match (0). */
export function score(candidate: Candidate, query: string): number {
  const q = query.trim().toLowerCase();
  if (!q) return 0;
  const name = candidate.name.toLowerCase();
  if (name === q) return 100;
  if (name.startsWith(q)) return 70;
  if (name.includes(q)) return 40;
  if (candidate.namespace.toLowerCase().includes(q)) return 20;
  return 0;
}

/** Matches ordered by score then name, at most ``perKind`` of each kind and ``total`` overall. */
export function rank<C extends Candidate>(candidates: readonly C[], query: string, perKind = 10, total = 50): C[] {
  const scored = candidates
    .map((candidate) => ({ candidate, score: score(candidate, query) }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.candidate.name.localeCompare(b.candidate.name));
  const taken = new Map<string, number>();
  const result: C[] = [];
  for (const { candidate } of scored) {
    const count = taken.get(candidate.kind) ?? 0;
    if (count >= perKind) continue;
    taken.set(candidate.kind, count + 1);
    result.push(candidate);
    if (result.length >= total) break;
  }
  return result;
}

/** Command labels match when every word of the query appears in them, in any order. */
export function matchesWords(label: string, query: string): boolean {
  const text = label.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => text.includes(word));
}
