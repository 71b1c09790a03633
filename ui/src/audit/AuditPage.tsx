/** The audit log: filters in the URL, an outcome timeline, rows newest first, one row in detail, export. */

import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { ApiError, isMissingEndpoint } from "../api/client";
import { useClusters } from "../api/queries";
import { useUser } from "../auth/user";
import { naturalCompare, nextSort, type SortSpec } from "../table/logic";
import { VirtualTable } from "../table/VirtualTable";
import { Icon } from "../ui/Icon";
import { Empty, ErrorState, Loading } from "../ui/states";
import { useNow } from "../ui/useNow";
import { AuditDetail } from "./AuditDetail";
import { AUDIT_COLUMNS } from "./columns";
import { activeCount, exportUrl, filtersSearch, NO_FILTERS, parseFilters, type AuditFilters, type ScopeRequest } from "./filters";
import { OUTCOMES, VERBS, type AuditRecord } from "./records";
import { Timeline } from "./Timeline";
import { useAuditPages } from "./useAudit";

export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const filters = parseFilters(params);
  const selected = params.get("id") ? Number(params.get("id")) : null;
  const user = useUser();
  const [scope, setScope] = useState<ScopeRequest>("");
  const [sort, setSort] = useState<SortSpec | null>(null);
  const pages = useAuditPages(filters, scope);
  const now = useNow();
  const update = (change: Partial<AuditFilters>, id: number | null = null) =>
    setParams(new URLSearchParams(filtersSearch({ ...filters, ...change }, id ?? undefined).slice(1)), { replace: true });

  const rows = useMemo(() => {
    const all = pages.data?.pages.flatMap((p) => p.items) ?? [];
    const column = AUDIT_COLUMNS.find((c) => c.id === sort?.column);
    if (!sort || !column) return all;
    const sorted = [...all].sort((a, b) => naturalCompare(String(column.sortValue(a)), String(column.sortValue(b))));
    return sort.desc ? sorted.reverse() : sorted;
  }, [pages.data, sort]);
  const first = pages.data?.pages[0];
  const effectiveScope = first?.scope ?? user?.auditScope ?? "self";
  const admin = user?.auditScope === "all";

  const disabled = pages.error instanceof ApiError && pages.error.code === "E_AUDIT_DISABLED";
  if (disabled || (user && user.auditEnabled === false)) {
    return (
      <div className="page">
        <Empty title="The audit log is off on this server">Start Periscope with PERISCOPE_AUDIT_ENABLED=true to record and browse privileged actions.</Empty>
      </div>
    );
  }
  if (pages.isError && isMissingEndpoint(pages.error)) {
    return (
      <div className="page">
        <Empty title="The audit log is not available on this server yet">This Periscope server does not serve /api/audit.</Empty>
      </div>
    );
  }

  return (
    <div className={`list-page audit-page${selected !== null ? " with-detail" : ""}`} data-testid="audit-page">
      <div className="toolbar">
        <h1 className="page-title">
          <Icon name="shield" size={16} /> Audit log
          {first && (
            <span className="count" data-testid="audit-count">
              {first.total.toLocaleString()}
              {first.totalExact ? "" : "+"}
            </span>
          )}
        </h1>
        <span className={`scope-banner scope-${effectiveScope}`} data-testid="audit-scope">
          <Icon name={effectiveScope === "all" ? "shield" : "user"} size={13} />
          {effectiveScope === "all" ? "You see every actor’s actions (audit admin)" : "You see only your own actions"}
        </span>
        {admin && (
          <select className="input" aria-label="Scope" value={scope} onChange={(e) => setScope(e.target.value as ScopeRequest)}>
            <option value="">Everyone</option>
            <option value="self">Only mine</option>
          </select>
        )}
        <div className="toolbar-end">
          <a className="btn btn-small" href={exportUrl(filters, "csv", scope)} download>
            <Icon name="download" size={13} /> CSV
          </a>
          <a className="btn btn-small" href={exportUrl(filters, "jsonl", scope)} download>
            <Icon name="download" size={13} /> JSONL
          </a>
        </div>
      </div>
      <AuditFilterBar filters={filters} onChange={(change) => update(change)} />
      {rows.length > 0 && <Timeline records={rows} />}
      <div className="list-body">
        <div className="list-main">
          {pages.isPending ? (
            <Loading label="Loading the audit log…" />
          ) : pages.isError ? (
            <ErrorState error={pages.error} onRetry={() => void pages.refetch()} />
          ) : rows.length === 0 ? (
            <Empty title={activeCount(filters) ? "No events match these filters" : "No audit events yet"}>
              Applies, deletes, shells, secret reveals and sign-ins are recorded here.
            </Empty>
          ) : (
            <VirtualTable<AuditRecord>
              rows={rows}
              columns={selected !== null ? AUDIT_COLUMNS.filter((c) => !c.optional) : AUDIT_COLUMNS}
              rowKey={(r) => String(r.id)}
              sort={sort}
              onSort={(column) => setSort(nextSort(sort, column))}
              cursor={-1}
              selectedKey={selected !== null ? String(selected) : null}
              onOpen={(r) => update({}, r.id)}
              now={now}
              label="Audit events"
            />
          )}
        </div>
        {selected !== null && <AuditDetail id={selected} onClose={() => update({})} />}
      </div>
      {pages.hasNextPage && (
        <div className="load-more">
          <button type="button" className="btn btn-small" disabled={pages.isFetchingNextPage} onClick={() => void pages.fetchNextPage()}>
            {pages.isFetchingNextPage ? "Loading…" : `Load older events (${rows.length} shown)`}
          </button>
        </div>
      )}
    </div>
  );
}

function AuditFilterBar({ filters, onChange }: { filters: AuditFilters; onChange: (change: Partial<AuditFilters>) => void }) {
  const clusters = useClusters();
  const text = (key: keyof AuditFilters, label: string, width = "") => (
    <input
      className={`input${width}`}
      placeholder={label}
      aria-label={label}
      defaultValue={filters[key]}
      key={`${key}:${filters[key]}`}
      onKeyDown={(e) => {
        if (e.key === "Enter") onChange({ [key]: e.currentTarget.value });
      }}
      onBlur={(e) => {
        if (e.currentTarget.value !== filters[key]) onChange({ [key]: e.currentTarget.value });
      }}
    />
  );
  return (
    <div className="filter-bar" role="search" aria-label="Audit filters">
      <label className="filter">
        <Icon name="search" size={14} />
        {text("q", "Search reason and details", " input-wide")}
      </label>
      {text("actor", "Actor")}
      <select className="input" aria-label="Verb" value={filters.verb} onChange={(e) => onChange({ verb: e.target.value })}>
        <option value="">any verb</option>
        {VERBS.map((v) => (
          <option key={v}>{v}</option>
        ))}
      </select>
      <div className="segmented" role="group" aria-label="Outcome">
        {["", ...OUTCOMES].map((o) => (
          <button type="button" key={o || "any"} className={filters.outcome === o ? "on" : ""} aria-pressed={filters.outcome === o} onClick={() => onChange({ outcome: o })}>
            {o || "any"}
          </button>
        ))}
      </div>
      <select className="input" aria-label="Cluster" value={filters.cluster} onChange={(e) => onChange({ cluster: e.target.value })}>
        <option value="">any cluster</option>
        {(clusters.data ?? []).map((c) => (
          <option key={c.name}>{c.name}</option>
        ))}
      </select>
      {text("namespace", "Namespace")}
      {text("resource", "Resource")}
      {text("name", "Name")}
      {text("requestId", "Request id")}
      <input className="input" type="datetime-local" aria-label="From" value={filters.from} onChange={(e) => onChange({ from: e.target.value })} />
      <input className="input" type="datetime-local" aria-label="To" value={filters.to} onChange={(e) => onChange({ to: e.target.value })} />
      {activeCount(filters) > 0 && (
        <button type="button" className="btn btn-small" onClick={() => onChange(NO_FILTERS)}>
          Clear
        </button>
      )}
    </div>
  );
}
