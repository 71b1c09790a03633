import { useState } from "react";
import { OnboardDialog } from "../agents/OnboardDialog";
import { useClusters } from "../api/queries";
import { useUser } from "../auth/user";
import { FleetCard, StatusGlyph } from "../fleet/FleetCard";
import { countByStatus, groupByEnvironment, type ClusterStatus } from "../fleet/summary";
import { useFleet } from "../fleet/useFleet";
import { Icon } from "../ui/Icon";
import { Empty, ErrorState, Loading } from "../ui/states";

const ORDER: ClusterStatus[] = ["healthy", "degraded", "unreachable", "unknown", "denied"];

/** Every cluster as a card, grouped by environment, with a status roll-up. */
export function FleetPage() {
  const fleet = useFleet();
  const [filter, setFilter] = useState("");
  const [onboarding, setOnboarding] = useState(false);
  const user = useUser();
  const clusters = useClusters();
  // Minting is for audit admins (the server checks too); agent clusters are the registry's own.
  const agentClusters = (clusters.data ?? []).filter((c) => c.backend === "agent").map((c) => c.name);
  const canOnboard = user?.auditScope === "all" && agentClusters.length > 0;
  if (fleet.isLoading) return <Loading label="Loading the fleet…" />;
  if (fleet.error && fleet.entries.length === 0) return <ErrorState error={fleet.error} />;
  if (fleet.entries.length === 0) {
    return <Empty title="No clusters registered">Add clusters to the registry file and restart Periscope.</Empty>;
  }
  const term = filter.trim().toLowerCase();
  const visible = fleet.entries.filter((e) => e.name.toLowerCase().includes(term));
  const counts = countByStatus(visible);
  return (
    <div className="page fleet-page">
      <div className="toolbar">
        <h1 className="page-title">
          Fleet <span className="count">{fleet.entries.length}</span>
        </h1>
        <div className="rollup" data-testid="fleet-rollup">
          {ORDER.filter((status) => counts[status] > 0).map((status) => (
            <span key={status} className="rollup-item">
              <StatusGlyph status={status} /> {counts[status]} {status}
            </span>
          ))}
        </div>
        <label className="filter">
          <Icon name="search" size={14} />
          <input className="input" placeholder="Filter clusters" aria-label="Filter clusters" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
        {canOnboard && (
          <button type="button" className="btn btn-small" onClick={() => setOnboarding(true)}>
            + Onboard cluster
          </button>
        )}
      </div>
      {onboarding && <OnboardDialog clusters={agentClusters} onClose={() => setOnboarding(false)} />}
      <div className="fleet-groups">
        {groupByEnvironment(visible).map(([environment, entries]) => (
          <section key={environment} className="fleet-group">
            <h2 className="group-title">
              {environment} <span className="count">{entries.length}</span>
            </h2>
            <div className="card-grid">
              {entries.map((entry) => (
                <FleetCard key={entry.name} entry={entry} />
              ))}
            </div>
          </section>
        ))}
      </div>
    </div>
  );
}
