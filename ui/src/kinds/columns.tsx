/** Column sets for summary rows: shared building blocks plus the fields each kind's row adds. */

import type { PrinterColumn, Row } from "../api/types";
import type { Column } from "../table/logic";
import { formatAge, formatTimestamp } from "../ui/format";
import { Status } from "../ui/Status";

type RowColumn = Column<Row>;

export function str(row: Row, field: string): string {
  const value = row[field];
  return value === undefined || value === null ? "" : String(value);
}

export function num(row: Row, field: string): number {
  const value = row[field];
  return typeof value === "number" ? value : 0;
}

function list(row: Row, field: string): unknown[] {
  const value = row[field];
  return Array.isArray(value) ? value : [];
}

function age(iso: string, now: number) {
  return <span title={formatTimestamp(iso)}>{formatAge(iso, now)}</span>;
}

export const nameColumn: RowColumn = {
  id: "name",
  header: "Name",
  width: "minmax(180px, 3fr)",
  sortValue: (r) => r.name,
  render: (r) => <span className="cell-name">{r.name}</span>,
};

export const namespaceColumn: RowColumn = {
  id: "namespace",
  header: "Namespace",
  width: "minmax(100px, 1fr)",
  sortValue: (r) => r.namespace,
};

export const ageColumn: RowColumn = {
  id: "age",
  header: "Age",
  width: "64px",
  align: "right",
  // Newest first when ascending, like kubectl's AGE.
  sortValue: (r) => -Date.parse(r.createdAt || "0"),
  render: (r, now) => age(r.createdAt, now),
};

function text(field: string, header: string, width = "minmax(90px, 1fr)"): RowColumn {
  return { id: field, header, width, sortValue: (r) => str(r, field) };
}

function count(field: string, header: string, width = "80px"): RowColumn {
  return { id: field, header, width, align: "right", sortValue: (r) => num(r, field) };
}

function status(field: string, header = "Status", width = "minmax(172px, 1fr)"): RowColumn {
  return { id: field, header, width, sortValue: (r) => str(r, field), render: (r) => <Status value={str(r, field)} /> };
}

function ratio(id: string, header: string, have: string, want: string): RowColumn {
  return {
    id,
    header,
    width: "72px",
    align: "right",
    sortValue: (r) => num(r, have) - num(r, want),
    render: (r) => {
      const ok = num(r, have) >= num(r, want);
      return <span className={ok ? "" : "text-warn"}>{`${num(r, have)}/${num(r, want)}`}</span>;
    },
  };
}

function keysCount(): RowColumn {
  return { id: "keys", header: "Keys", width: "64px", align: "right", sortValue: (r) => list(r, "keys").length };
}

const pods: RowColumn[] = [
  status("status"),
  {
    id: "ready",
    header: "Ready",
    width: "72px",
    align: "right",
    sortValue: (r) => str(r, "ready"),
    render: (r) => {
      const [have, want] = str(r, "ready").split("/");
      return <span className={have === want ? "" : "text-warn"}>{str(r, "ready")}</span>;
    },
  },
  {
    id: "restarts",
    header: "Restarts",
    width: "88px",
    align: "right",
    sortValue: (r) => num(r, "restarts"),
    render: (r) => <span className={num(r, "restarts") > 0 ? "text-warn" : ""}>{num(r, "restarts")}</span>,
  },
  { ...text("node", "Node", "minmax(140px, 1.5fr)"), optional: true },
  { ...text("podIP", "IP", "120px"), optional: true },
];

const replicated: RowColumn[] = [
  ratio("ready", "Ready", "ready", "replicas"),
  count("updated", "Up-to-date", "108px"),
  count("available", "Available", "96px"),
];

const daemonsets: RowColumn[] = [
  count("desired", "Desired"),
  count("current", "Current"),
  ratio("ready", "Ready", "ready", "desired"),
  count("updated", "Up-to-date", "108px"),
  count("available", "Available", "96px"),
];

const jobs: RowColumn[] = [
  {
    id: "completions",
    header: "Completions",
    width: "96px",
    align: "right",
    sortValue: (r) => num(r, "succeeded"),
    render: (r) => `${num(r, "succeeded")}/${typeof r.completions === "number" ? r.completions : 1}`,
  },
  count("active", "Active"),
  {
    id: "failed",
    header: "Failed",
    width: "64px",
    align: "right",
    sortValue: (r) => num(r, "failed"),
    render: (r) => <span className={num(r, "failed") > 0 ? "text-bad" : ""}>{num(r, "failed")}</span>,
  },
];

const cronjobs: RowColumn[] = [
  { ...text("schedule", "Schedule", "minmax(110px, 1fr)"), render: (r) => <code>{str(r, "schedule")}</code> },
  {
    id: "suspend",
    header: "Suspend",
    width: "76px",
    sortValue: (r) => str(r, "suspend"),
    render: (r) => (r.suspend ? <Status value="Suspended" tone="warn" /> : "False"),
  },
  count("active", "Active"),
  {
    id: "lastSchedule",
    header: "Last run",
    width: "76px",
    align: "right",
    sortValue: (r) => str(r, "lastScheduleTime"),
    render: (r, now) => age(str(r, "lastScheduleTime"), now),
  },
];

interface ServicePort {
  port: number;
  protocol?: string;
  nodePort?: number;
}

const services: RowColumn[] = [
  text("type", "Type", "96px"),
  text("clusterIP", "Cluster IP", "112px"),
  {
    id: "externalIPs",
    header: "External IP",
    optional: true,
    width: "minmax(100px, 1fr)",
    sortValue: (r) => list(r, "externalIPs").join(","),
    render: (r) => list(r, "externalIPs").join(", ") || <span className="text-muted">none</span>,
  },
  {
    id: "ports",
    header: "Ports",
    width: "minmax(120px, 1.2fr)",
    sortValue: (r) => list(r, "ports").length,
    render: (r) =>
      (list(r, "ports") as ServicePort[])
        .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`)
        .join(", "),
  },
];

const nodes: RowColumn[] = [
  status("status", "Status", "minmax(110px, 1.2fr)"),
  {
    id: "roles",
    header: "Roles",
    width: "minmax(90px, 1fr)",
    sortValue: (r) => list(r, "roles").join(","),
    render: (r) => list(r, "roles").join(", ") || <span className="text-muted">none</span>,
  },
  text("kubeletVersion", "Version", "minmax(110px, 1fr)"),
  { ...text("internalIP", "Internal IP", "112px"), optional: true },
  {
    id: "cpu",
    header: "CPU",
    optional: true,
    width: "56px",
    align: "right",
    sortValue: (r) => Number.parseFloat(capacity(r, "cpu")) || 0,
    render: (r) => capacity(r, "cpu"),
  },
  {
    id: "memory",
    header: "Memory",
    optional: true,
    width: "88px",
    align: "right",
    sortValue: (r) => capacity(r, "memory"),
    render: (r) => capacity(r, "memory"),
  },
];

function capacity(row: Row, resource: string): string {
  const value = row.capacity as Record<string, string> | undefined;
  return value?.[resource] ?? "";
}

interface InvolvedObject {
  kind?: string;
  name?: string;
}

export const eventColumns: RowColumn[] = [
  {
    id: "lastSeen",
    header: "Last seen",
    width: "92px",
    // Newest first when ascending.
    sortValue: (r) => -Date.parse(str(r, "lastTimestamp") || r.createdAt || "0"),
    render: (r, now) => age(str(r, "lastTimestamp") || r.createdAt, now),
  },
  { ...text("type", "Type", "100px"), render: (r) => <Status value={str(r, "type")} tone={r.type === "Warning" ? "warn" : "muted"} /> },
  text("reason", "Reason", "minmax(120px, 1fr)"),
  {
    id: "object",
    header: "Object",
    optional: true,
    width: "minmax(160px, 1.5fr)",
    sortValue: (r) => involved(r),
    render: (r) => <span className="cell-mono">{involved(r)}</span>,
  },
  {
    id: "message",
    header: "Message",
    width: "minmax(240px, 4fr)",
    sortValue: (r) => str(r, "message"),
    render: (r) => <span title={str(r, "message")}>{str(r, "message")}</span>,
  },
  count("count", "Count", "60px"),
];

function involved(row: Row): string {
  const ref = (row.involvedObject ?? {}) as InvolvedObject;
  return `${(ref.kind ?? "").toLowerCase()}/${ref.name ?? ""}`;
}

/** The kind-specific columns, between name/namespace and age. */
export const KIND_COLUMNS: Record<string, RowColumn[]> = {
  pods,
  deployments: replicated,
  statefulsets: [ratio("ready", "Ready", "ready", "replicas")],
  replicasets: [count("replicas", "Desired"), count("ready", "Ready")],
  daemonsets,
  jobs,
  cronjobs,
  services,
  nodes,
  namespaces: [status("phase")],
  secrets: [text("type", "Type", "minmax(160px, 1.5fr)"), keysCount()],
  configmaps: [keysCount()],
};

/** Columns for a custom resource, from the printer columns the server evaluated. */
export function printerColumns(columns: readonly PrinterColumn[]): RowColumn[] {
  return columns
    .filter((c) => c.name.toLowerCase() !== "age" && c.name.toLowerCase() !== "name")
    .map((c): RowColumn => {
      const cell = (r: Row): unknown => (r.columns as Record<string, unknown> | undefined)?.[c.name];
      if (c.type === "date") {
        return {
          id: `col:${c.name}`,
          header: c.name,
          width: "80px",
          align: "right",
          sortValue: (r) => -Date.parse(String(cell(r) ?? "0")),
          render: (r, now) => age(String(cell(r) ?? ""), now),
        };
      }
      const numeric = c.type === "integer" || c.type === "number";
      return {
        id: `col:${c.name}`,
        header: c.name,
        width: numeric ? "80px" : "minmax(90px, 1fr)",
        align: numeric ? "right" : undefined,
        sortValue: (r) => (numeric ? Number(cell(r) ?? 0) : String(cell(r) ?? "")),
        render: (r) => {
          const value = cell(r);
          if (value === null || value === undefined) return <span className="text-muted">—</span>;
          const shown = typeof value === "object" ? JSON.stringify(value) : String(value);
          return /^(True|False|Unknown)$/.test(shown) ? <Status value={shown} tone={shown === "True" ? "ok" : "bad"} /> : shown;
        },
      };
    });
}
