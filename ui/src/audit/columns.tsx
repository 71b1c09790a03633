import type { Column } from "../table/logic";
import { formatAge, formatTimestamp } from "../ui/format";
import { Status } from "../ui/Status";
import { resourceText } from "./AuditDetail";
import type { AuditRecord } from "./records";

/** "11-22 06:11:58" in local time: dense enough for a log, with the full time in the tooltip. */
function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const TONE = { success: "ok", failure: "bad", denied: "warn" } as const;

export const AUDIT_COLUMNS: Column<AuditRecord>[] = [
  {
    id: "time",
    header: "Time",
    width: "130px",
    sortValue: (r) => r.timestamp,
    render: (r, now) => (
      <span className="cell-mono" title={`${formatTimestamp(r.timestamp)} (${formatAge(r.timestamp, now)} ago)`}>
        {shortTime(r.timestamp)}
      </span>
    ),
  },
  { id: "actor", header: "Actor", width: "minmax(150px, 1.2fr)", sortValue: (r) => r.actor.email || r.actor.sub },
  { id: "verb", header: "Verb", width: "120px", sortValue: (r) => r.verb, render: (r) => <span className="cell-mono">{r.verb}</span> },
  {
    id: "outcome",
    header: "Outcome",
    width: "100px",
    sortValue: (r) => r.outcome,
    render: (r) => <Status value={r.outcome} tone={TONE[r.outcome]} />,
  },
  { id: "cluster", header: "Cluster", width: "90px", sortValue: (r) => r.cluster },
  {
    id: "resource",
    header: "Resource",
    width: "minmax(200px, 2fr)",
    sortValue: (r) => resourceText(r.resource),
    render: (r) => <span className="cell-mono">{resourceText(r.resource)}</span>,
  },
  { id: "reason", header: "Reason", width: "minmax(120px, 1.5fr)", optional: true, sortValue: (r) => r.reason },
];
