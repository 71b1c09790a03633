/** Small text formatters shared by tables, cards and the detail pane. */

/** kubectl-style age ("42s", "7m", "3h", "12d", "2y"); "" for a missing or unparsable time. */
export function formatAge(iso: string | undefined | null, now: number): string {
  if (!iso) return "";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.max(0, Math.floor((now - then) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 730) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

export type Tone = "ok" | "warn" | "bad" | "muted";

const BAD = /crashloop|error|^err|fail|backoff|oomkilled|evicted|notready|invalid|lost|unknown|deadline/i;
const WARN = /pending|creating|terminating|init:|waiting|progressing|schedulingdisabled|released|suspended/i;
const OK = /^(running|ready|succeeded|completed|active|bound|available|true|normal|healthy|complete)$/i;

/** A colour family for a status word as Kubernetes prints it. */
export function statusTone(status: string): Tone {
  if (!status) return "muted";
  if (BAD.test(status)) return "bad";
  if (WARN.test(status)) return "warn";
  if (OK.test(status)) return "ok";
  return "muted";
}

/** "1234567" -> "1.2M"; used for counts on cards. */
export function compactCount(value: number): string {
  if (value < 1000) return String(value);
  if (value < 1_000_000) return `${(value / 1000).toFixed(value < 10_000 ? 1 : 0)}k`;
  return `${(value / 1_000_000).toFixed(1)}M`;
}

/** A local date-time for tooltips next to relative ages. */
export function formatTimestamp(iso: string | undefined | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
