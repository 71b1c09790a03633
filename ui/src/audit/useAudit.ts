import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { fetchOk } from "../api/client";
import { auditQuery, type AuditFilters, type ScopeRequest } from "./filters";
import { decodePage, decodeRecord, type AuditPage, type AuditRecord } from "./records";

const PAGE = 100;
const SCOPE_HEADER = "X-Audit-Scope";

async function fetchPage(url: string, scope: ScopeRequest, signal: AbortSignal): Promise<AuditPage> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (scope) headers[SCOPE_HEADER] = scope;
  const response = await fetchOk(url, { headers, signal });
  return decodePage((await response.json()) as Record<string, unknown>, response.headers.get(SCOPE_HEADER));
}

/** Newest first, a page at a time along the server's cursor. */
export function useAuditPages(filters: AuditFilters, scope: ScopeRequest) {
  return useInfiniteQuery({
    queryKey: ["audit", filters, scope],
    queryFn: ({ pageParam, signal }) => fetchPage(auditQuery(filters, PAGE, pageParam), scope, signal),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor || undefined,
    retry: false,
  });
}

export function useAuditRecord(id: number | null) {
  return useQuery({
    queryKey: ["audit-record", id],
    queryFn: async ({ signal }): Promise<AuditRecord> => {
      const response = await fetchOk(`/api/audit/${id}`, { headers: { Accept: "application/json" }, signal });
      return decodeRecord((await response.json()) as Record<string, unknown>);
    },
    enabled: id !== null,
    retry: false,
  });
}
