/** Audit filters: the page URL holds them (so a filtered view can be shared) and the API query is built from them. */

export interface AuditFilters {
  actor: string;
  verb: string;
  outcome: string;
  cluster: string;
  namespace: string;
  name: string;
  resource: string;
  requestId: string;
  /** `datetime-local` values (local time, minutes), as the inputs hold them. */
  from: string;
  to: string;
  q: string;
}

export const NO_FILTERS: AuditFilters = {
  actor: "",
  verb: "",
  outcome: "",
  cluster: "",
  namespace: "",
  name: "",
  resource: "",
  requestId: "",
  from: "",
  to: "",
  q: "",
};

/** Page URL parameter per filter; the API uses the same names but for the free text. */
const PARAMS: Record<keyof AuditFilters, string> = {
  actor: "actor",
  verb: "verb",
  outcome: "outcome",
  cluster: "cluster",
  namespace: "namespace",
  name: "name",
  resource: "resource",
  requestId: "request_id",
  from: "from",
  to: "to",
  q: "q",
};

const KEYS = Object.keys(PARAMS) as (keyof AuditFilters)[];

export function parseFilters(params: URLSearchParams): AuditFilters {
  return Object.fromEntries(KEYS.map((key) => [key, params.get(PARAMS[key]) ?? ""])) as unknown as AuditFilters;
}

/** The page's query string; empty filters are left out. */
export function filtersSearch(filters: AuditFilters, selected?: number): string {
  const params = new URLSearchParams();
  for (const key of KEYS) if (filters[key]) params.set(PARAMS[key], filters[key]);
  if (selected !== undefined) params.set("id", String(selected));
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** A `datetime-local` value as an RFC 3339 instant; "" when empty or unreadable. */
export function toInstant(local: string): string {
  if (!local) return "";
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

/** The API names the free-text filter `text`; the page keeps the shorter `q`. */
function apiName(key: keyof AuditFilters): string {
  return key === "q" ? "text" : PARAMS[key];
}

function apiParams(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = key === "from" || key === "to" ? toInstant(filters[key]) : filters[key].trim();
    if (value) params.set(apiName(key), value);
  }
  return params;
}

export function auditQuery(filters: AuditFilters, limit: number, cursor = ""): string {
  const params = apiParams(filters);
  params.set("limit", String(limit));
  if (cursor) params.set("cursor", cursor);
  return `/api/audit?${params.toString()}`;
}

/** Whose rows to ask for; empty lets the server decide (everyone's for an audit admin). */
export type ScopeRequest = "" | "self" | "all";

/** A download link: it cannot send X-Audit-Scope, so an admin's "only mine" goes in the query. */
export function exportUrl(filters: AuditFilters, format: "jsonl" | "csv", scope: ScopeRequest = ""): string {
  const params = apiParams(filters);
  params.set("format", format);
  if (scope) params.set("scope", scope);
  return `/api/audit/export?${params.toString()}`;
}

export function activeCount(filters: AuditFilters): number {
  return KEYS.filter((key) => filters[key] !== "").length;
}
