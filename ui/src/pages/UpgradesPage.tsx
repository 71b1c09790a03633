/** The EKS upgrade view: AWS's upgrade insights, managed node groups with kubelet skew and AMI drift,
 * and add-ons with their freshness. Each panel fetches on its own, because each needs a different AWS
 * permission and one missing grant should not hide what the others can show. */

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { ApiError, getJson } from "../api/client";
import { API } from "../api/paths";
import type { ClusterInfo } from "../api/types";
import type { AddonsPage, Badge, HealthIssue, Insight, InsightsPage, NodegroupsPage } from "../eks/upgrades";
import {
  addonBadge,
  badgeClass,
  categoryText,
  countParts,
  driftBadge,
  eksStatusTone,
  errorHint,
  hasUpgrades,
  infoLinks,
  insightTone,
  resourceLabel,
  scalingText,
  skewBadge,
  sortInsights,
} from "../eks/upgrades";
import { formatAge, formatTimestamp } from "../ui/format";
import { Icon } from "../ui/Icon";
import { Empty, ErrorState, Loading } from "../ui/states";
import { Status } from "../ui/Status";
import { useNow } from "../ui/useNow";

// Insights change about daily and every read costs AWS API calls, so nothing polls: a minute of
// freshness is plenty, and the toolbar's Refresh is there for right after an upgrade.
const STALE_MS = 60_000;

export function UpgradesPage({ cluster }: { cluster: ClusterInfo }) {
  const client = useQueryClient();
  if (!hasUpgrades(cluster)) {
    return (
      <Empty title="Upgrades are for EKS clusters">
        Cluster “{cluster.name}” uses the {cluster.backend} backend; upgrade insights, node groups and add-ons come from the
        EKS API.
      </Empty>
    );
  }
  return (
    <div className="page upgrades-page" data-testid="upgrades-page">
      <div className="toolbar">
        <h1 className="page-title">Upgrades</h1>
        <div className="toolbar-end">
          <button type="button" className="btn" onClick={() => void client.invalidateQueries({ queryKey: ["eks", cluster.name] })}>
            <Icon name="refresh" size={14} /> Refresh
          </button>
        </div>
      </div>
      <div className="upgrades-panels">
        <Insights cluster={cluster.name} />
        <Nodegroups cluster={cluster.name} />
        <Addons cluster={cluster.name} />
      </div>
    </div>
  );
}

function BadgeView({ badge }: { badge: Badge }) {
  return (
    <span className={badgeClass(badge.tone)} title={badge.title}>
      {badge.text}
    </span>
  );
}

function SectionError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const hint = error instanceof ApiError ? errorHint(error.code) : null;
  return (
    <ErrorState error={error} onRetry={onRetry}>
      {hint && <div className="state-body">{hint}</div>}
    </ErrorState>
  );
}

function Insights({ cluster }: { cluster: string }) {
  const query = useQuery({
    queryKey: ["eks", cluster, "insights"],
    queryFn: ({ signal }) => getJson<InsightsPage>(API.eksInsights(cluster), signal),
    staleTime: STALE_MS,
    retry: false,
  });
  const [open, setOpen] = useState<string | null>(null);
  const now = useNow();
  const toggle = (id: string) => setOpen(open === id ? null : id);
  return (
    <section className="panel" aria-label="Upgrade insights">
      <h2 className="panel-title">
        Upgrade insights {query.data && <span className="count">{query.data.items.length}</span>}
      </h2>
      {query.isPending ? (
        <Loading label="Loading upgrade insights…" />
      ) : query.isError ? (
        <SectionError error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <>
          <div className="upgrades-summary" data-testid="insight-counts">
            Control plane <span className="mono">{query.data.kubernetesVersion || "—"}</span>
            {countParts(query.data.counts).map((part) => (
              <Status key={part.status} value={part.text} tone={insightTone(part.status)} />
            ))}
          </div>
          <div className="upgrades-note">
            AWS refreshes insights about once a day; Periscope fetched these{" "}
            <span title={formatTimestamp(query.data.fetchedAt)}>{formatAge(query.data.fetchedAt, now)} ago</span>.
          </div>
          {query.data.items.length === 0 ? (
            <Empty title="No upgrade insights yet">AWS evaluates a cluster within a day of its creation.</Empty>
          ) : (
            <table className="mini-table wide" data-testid="insights">
              <thead>
                <tr>
                  <th>Status</th>
                  <th>Name</th>
                  <th>Category</th>
                  <th>For version</th>
                  <th>Description</th>
                  <th>Refreshed</th>
                </tr>
              </thead>
              <tbody>
                {sortInsights(query.data.items).map((item) => (
                  <Fragment key={item.id}>
                    <tr
                      className={`clickable${open === item.id ? " selected" : ""}`}
                      tabIndex={0}
                      aria-expanded={open === item.id}
                      onClick={() => toggle(item.id)}
                      onKeyDown={(e) => {
                        if (e.key === "Enter" || e.key === " ") {
                          e.preventDefault();
                          toggle(item.id);
                        }
                      }}
                    >
                      <td title={item.insightStatus.reason}>
                        <Status value={item.insightStatus.status} tone={insightTone(item.insightStatus.status)} />
                      </td>
                      <td>{item.name}</td>
                      <td>{categoryText(item.category)}</td>
                      <td className="mono">{item.kubernetesVersion || "—"}</td>
                      <td className="reason">{item.description}</td>
                      <td title={formatTimestamp(item.lastRefreshTime)}>{formatAge(item.lastRefreshTime, now) || "—"}</td>
                    </tr>
                    {open === item.id && (
                      <tr className="insight-detail-row">
                        <td colSpan={6}>
                          <InsightDetail cluster={cluster} id={item.id} now={now} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

function InsightDetail({ cluster, id, now }: { cluster: string; id: string; now: number }) {
  const query = useQuery({
    queryKey: ["eks", cluster, "insight", id],
    queryFn: ({ signal }) => getJson<Insight>(API.eksInsight(cluster, id), signal),
    staleTime: STALE_MS,
    retry: false,
  });
  if (query.isPending) return <Loading label="Loading the insight…" />;
  if (query.isError) return <SectionError error={query.error} onRetry={() => void query.refetch()} />;
  const insight = query.data;
  const deprecations = insight.categorySpecificSummary?.deprecationDetails ?? [];
  const addons = insight.categorySpecificSummary?.addonCompatibilityDetails ?? [];
  const resources = insight.resources ?? [];
  const links = infoLinks(insight.additionalInfo);
  return (
    <div className="insight-detail" data-testid={`insight-${id}`}>
      {insight.insightStatus.reason && <p className="reason">{insight.insightStatus.reason}</p>}
      {insight.recommendation && (
        <>
          <h3 className="insight-heading">Recommendation</h3>
          <p className="reason">{insight.recommendation}</p>
        </>
      )}
      {deprecations.length > 0 && (
        <>
          <h3 className="insight-heading">Deprecated APIs</h3>
          <table className="mini-table">
            <thead>
              <tr>
                <th>Deprecated API</th>
                <th>Replace with</th>
                <th>Stops serving in</th>
                <th>Replacement since</th>
                <th>Clients still calling it</th>
              </tr>
            </thead>
            <tbody>
              {deprecations.map((d, index) => (
                <tr key={`${d.usage}-${index}`}>
                  <td className="mono">{d.usage}</td>
                  <td className="mono">{d.replacedWith || "—"}</td>
                  <td className="mono">{d.stopServingVersion || "—"}</td>
                  <td className="mono">{d.startServingReplacementVersion || "—"}</td>
                  <td>
                    {(d.clientStats ?? []).length === 0
                      ? "none seen in 30 days"
                      : d.clientStats.map((c, i) => (
                          <div key={`${c.userAgent}-${i}`} className="insight-client">
                            <span className="mono">{c.userAgent || "(no user agent)"}</span>{" "}
                            <span className="text-muted">
                              {c.numberOfRequestsLast30Days ?? 0} requests in 30 days
                              {c.lastRequestTime && (
                                <>
                                  , last <span title={formatTimestamp(c.lastRequestTime)}>{formatAge(c.lastRequestTime, now)} ago</span>
                                </>
                              )}
                            </span>
                          </div>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {addons.length > 0 && (
        <>
          <h3 className="insight-heading">Add-on compatibility</h3>
          <table className="mini-table">
            <thead>
              <tr>
                <th>Add-on</th>
                <th>Compatible versions</th>
              </tr>
            </thead>
            <tbody>
              {addons.map((a, index) => (
                <tr key={`${a.name}-${index}`}>
                  <td className="mono">{a.name || "—"}</td>
                  <td className="mono">{(a.compatibleVersions ?? []).join(", ") || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h3 className="insight-heading">Affected resources</h3>
      {resources.length === 0 ? (
        <p className="text-muted">None listed.</p>
      ) : (
        <table className="mini-table">
          <thead>
            <tr>
              <th>Status</th>
              <th>Resource</th>
            </tr>
          </thead>
          <tbody>
            {resources.map((r, index) => (
              <tr key={`${resourceLabel(r)}-${index}`}>
                <td title={r.insightStatus?.reason}>
                  <Status value={r.insightStatus?.status ?? "UNKNOWN"} tone={insightTone(r.insightStatus?.status ?? "UNKNOWN")} />
                </td>
                <td className="mono">{resourceLabel(r)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {links.length > 0 && (
        <>
          <h3 className="insight-heading">More information</h3>
          <ul className="link-list">
            {links.map((link) => (
              <li key={link.label}>
                <a href={link.url} target="_blank" rel="noreferrer">
                  {link.label}
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function Nodegroups({ cluster }: { cluster: string }) {
  const query = useQuery({
    queryKey: ["eks", cluster, "nodegroups"],
    queryFn: ({ signal }) => getJson<NodegroupsPage>(API.eksNodegroups(cluster), signal),
    staleTime: STALE_MS,
    retry: false,
  });
  return (
    <section className="panel" aria-label="Managed node groups">
      <h2 className="panel-title">
        Managed node groups {query.data && <span className="count">{query.data.items.length}</span>}
      </h2>
      {query.isPending ? (
        <Loading label="Loading node groups…" />
      ) : query.isError ? (
        <SectionError error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.items.length === 0 ? (
        <Empty title="No managed node groups">Self-managed nodes and Karpenter nodes are not listed here.</Empty>
      ) : (
        <table className="mini-table wide" data-testid="nodegroups">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Version</th>
              <th>AMI type</th>
              <th>Release version</th>
              <th>AMI</th>
              <th>Capacity</th>
              <th>Instance types</th>
              <th title="desired / min / max">Nodes</th>
              <th>Health</th>
            </tr>
          </thead>
          <tbody>
            {query.data.items.map((ng) => {
              const skew = skewBadge(ng.minorVersionsBehind);
              return (
                <tr key={ng.name}>
                  <td className="mono">
                    {ng.name}
                    {ng.launchTemplate && <div className="text-muted">launch template {ng.launchTemplate}</div>}
                  </td>
                  <td>
                    <Status value={ng.status} tone={eksStatusTone(ng.status)} />
                  </td>
                  <td className="nowrap">
                    <span className="mono">{ng.version || "—"}</span>
                    {skew && <BadgeView badge={skew} />}
                  </td>
                  <td>{ng.amiType || "—"}</td>
                  <td className="mono">{ng.releaseVersion || "—"}</td>
                  <td>
                    <BadgeView badge={driftBadge(ng.ami)} />
                  </td>
                  <td>{ng.capacityType || "—"}</td>
                  <td className="mono">{ng.instanceTypes.join(", ") || "—"}</td>
                  <td className="nowrap">{scalingText(ng.scaling)}</td>
                  <td>
                    <Health issues={ng.health} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Health({ issues }: { issues: HealthIssue[] }) {
  if (issues.length === 0) return <span className="text-muted">—</span>;
  return (
    <>
      <span className="badge badge-bad">
        {issues.length} issue{issues.length === 1 ? "" : "s"}
      </span>
      <ul className="health-list">
        {issues.map((issue, index) => (
          <li key={`${issue.code}-${index}`} title={(issue.resourceIds ?? []).join(", ") || undefined}>
            <span className="mono">{issue.code}</span> {issue.message}
          </li>
        ))}
      </ul>
    </>
  );
}

function Addons({ cluster }: { cluster: string }) {
  const query = useQuery({
    queryKey: ["eks", cluster, "addons"],
    queryFn: ({ signal }) => getJson<AddonsPage>(API.eksAddons(cluster), signal),
    staleTime: STALE_MS,
    retry: false,
  });
  return (
    <section className="panel" aria-label="Add-ons">
      <h2 className="panel-title">
        Add-ons {query.data && <span className="count">{query.data.items.length}</span>}
      </h2>
      {query.isPending ? (
        <Loading label="Loading add-ons…" />
      ) : query.isError ? (
        <SectionError error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <>
          {query.data.catalogError && (
            <div className="hint hint-warn" data-testid="catalog-error">
              Whether newer add-on versions exist is unknown: the add-on catalog could not be read ({query.data.catalogError}).
            </div>
          )}
          {query.data.items.length === 0 ? (
            <Empty title="No EKS add-ons installed" />
          ) : (
            <table className="mini-table wide" data-testid="addons">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Version</th>
                  <th>Status</th>
                  <th>Freshness</th>
                  <th>Owner / publisher</th>
                  <th>Service account role</th>
                  <th>Health</th>
                </tr>
              </thead>
              <tbody>
                {query.data.items.map((addon) => (
                  <tr key={addon.name}>
                    <td className="mono">{addon.name}</td>
                    <td className="mono">{addon.version || "—"}</td>
                    <td>
                      <Status value={addon.status} tone={eksStatusTone(addon.status)} />
                    </td>
                    <td>
                      <BadgeView badge={addonBadge(addon)} />
                    </td>
                    <td>{[addon.owner, addon.publisher].filter(Boolean).join(" / ") || "—"}</td>
                    <td className="mono">{addon.serviceAccountRoleArn || "—"}</td>
                    <td>
                      <Health issues={addon.health ?? []} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
