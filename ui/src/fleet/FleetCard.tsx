import { Link } from "react-router";
import { clusterPath } from "../state/url";
import { compactCount } from "../ui/format";
import type { ClusterStatus, FleetEntry } from "./summary";

const STATUS_TEXT: Record<ClusterStatus, string> = {
  healthy: "Healthy",
  degraded: "Degraded",
  unreachable: "Unreachable",
  unknown: "Unknown",
  denied: "Access denied",
};

export function StatusGlyph({ status }: { status: ClusterStatus }) {
  return <span className={`glyph glyph-${status}`} role="img" aria-label={STATUS_TEXT[status]} title={STATUS_TEXT[status]} />;
}

function Metric({ label, value, sub, warn }: { label: string; value: string; sub?: string; warn?: boolean }) {
  return (
    <div className="metric">
      <div className={`metric-value${warn ? " text-warn" : ""}`}>{value}</div>
      <div className="metric-label">{label}</div>
      {sub && <div className="metric-sub">{sub}</div>}
    </div>
  );
}

/** One cluster on the fleet page: health, identity, counts and what needs attention. */
export function FleetCard({ entry }: { entry: FleetEntry }) {
  const s = entry.summary;
  return (
    <Link to={clusterPath(entry.name)} className={`card fleet-card status-${entry.status}`} data-testid={`cluster-card-${entry.name}`}>
      <div className="card-head">
        <StatusGlyph status={entry.status} />
        <span className="card-title">{entry.name}</span>
        <span className="card-status">{STATUS_TEXT[entry.status]}</span>
      </div>
      <div className="card-badges">
        {entry.environment && <span className={`badge env env-${entry.environment}`}>{entry.environment}</span>}
        <span className="badge">{entry.backend}</span>
        {entry.region && <span className="badge badge-quiet">{entry.region}</span>}
        {entry.kubernetesVersion && <span className="badge badge-quiet mono">{entry.kubernetesVersion}</span>}
      </div>
      {s && (
        <div className="metrics">
          <Metric label="nodes ready" value={`${s.nodes.ready}/${s.nodes.total}`} warn={s.nodes.ready < s.nodes.total} />
          <Metric label="pods" value={compactCount(s.pods.total)} sub={`${compactCount(s.pods.running)} running`} />
          <Metric label="namespaces" value={compactCount(s.namespaces)} />
        </div>
      )}
      {entry.hotSignals.length > 0 && (
        <div className="signals">
          {entry.hotSignals.map((signal) => (
            <span key={signal.kind} className="signal" title={`${signal.count} pods in ${signal.kind}`}>
              {signal.kind} <strong>{signal.count}</strong>
            </span>
          ))}
        </div>
      )}
      {entry.error && (
        <div className="card-error" title={entry.error.message}>
          <code>{entry.error.code}</code> {entry.error.message}
        </div>
      )}
    </Link>
  );
}
