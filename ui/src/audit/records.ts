/** Audit rows as the API returns them, and the outcome timeline drawn above the table. */

export type Outcome = "success" | "failure" | "denied";
export const OUTCOMES: readonly Outcome[] = ["success", "failure", "denied"];

export const VERBS = [
  "apply", "delete", "trigger", "exec_open", "exec_close", "exec_forced_close", "secret_reveal", "log_open",
  "bulk_download", "login", "logout", "login_denied", "agent_token_mint", "agent_register", "karpenter_read",
  "helm_read", "eks_read", "audit_export", "ws_origin_rejected",
] as const;

export interface AuditRecord {
  id: number;
  timestamp: string;
  requestId: string;
  route: string;
  actor: { sub: string; email: string; groups: string[] };
  impersonated: { user: string; groups: string[] };
  verb: string;
  outcome: Outcome;
  cluster: string;
  resource: { group: string; version: string; resource: string; namespace: string; name: string };
  reason: string;
  extra: Record<string, unknown>;
}

export interface AuditPage {
  items: AuditRecord[];
  total: number;
  totalExact: boolean;
  nextCursor: string;
  scope: "self" | "all";
}

type Raw = Record<string, unknown>;

/** One row, with defaults for the parts an older row may lack. */
export function decodeRecord(raw: Raw): AuditRecord {
  const resource = (raw.resource ?? {}) as Partial<AuditRecord["resource"]>;
  return {
    id: Number(raw.id),
    timestamp: String(raw.timestamp ?? ""),
    requestId: String(raw.requestId ?? ""),
    route: String(raw.route ?? ""),
    actor: { sub: "", email: "", groups: [], ...(raw.actor as object) },
    impersonated: { user: "", groups: [], ...(raw.impersonated as object) },
    verb: String(raw.verb ?? ""),
    outcome: (raw.outcome as Outcome) ?? "success",
    cluster: String(raw.cluster ?? ""),
    resource: { group: "", version: "", resource: "", namespace: "", name: "", ...resource },
    reason: String(raw.reason ?? ""),
    extra: (raw.extra as Record<string, unknown>) ?? {},
  };
}

export function decodePage(raw: Raw, scopeHeader: string | null): AuditPage {
  const items = Array.isArray(raw.items) ? (raw.items as Raw[]).map(decodeRecord) : [];
  const scope = (scopeHeader ?? raw.scope) === "all" ? "all" : "self";
  return {
    items,
    total: Number(raw.total ?? items.length),
    totalExact: raw.totalExact !== false,
    nextCursor: String(raw.nextCursor ?? ""),
    scope,
  };
}

export interface Bucket {
  start: number;
  end: number;
  counts: Record<Outcome, number>;
}

/** Rows counted per time bucket and outcome, over [from, to] (the rows' own span when not given). */
export function timeline(records: readonly AuditRecord[], buckets: number, from?: number, to?: number): Bucket[] {
  const times = records.map((r) => Date.parse(r.timestamp)).filter((t) => !Number.isNaN(t));
  if (times.length === 0 && (from === undefined || to === undefined)) return [];
  const start = from ?? Math.min(...times);
  const end = Math.max(to ?? Math.max(...times), start + 1);
  const width = (end - start) / buckets;
  const out: Bucket[] = Array.from({ length: buckets }, (_, i) => ({
    start: start + i * width,
    end: start + (i + 1) * width,
    counts: { success: 0, failure: 0, denied: 0 },
  }));
  for (const record of records) {
    const t = Date.parse(record.timestamp);
    if (Number.isNaN(t) || t < start || t > end) continue;
    const bucket = out[Math.min(buckets - 1, Math.floor((t - start) / width))]!;
    if (record.outcome in bucket.counts) bucket.counts[record.outcome]++;
  }
  return out;
}
