/** The Karpenter view: NodePools, NodeClaims by pool, and the pods Karpenter cannot place, with reasons.
 * A NodePool or NodeClaim row opens the usual detail pane (describe, YAML, events) beside the panels. */

import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { getJson } from "../api/client";
import { API } from "../api/paths";
import { useCrds } from "../api/queries";
import { DetailPane } from "../detail/DetailPane";
import type { KarpenterOverview, NodeClaimGroup, NodePoolView, PendingPod } from "../karpenter/types";
import { dollarsPerHour, percent, usageText } from "../karpenter/types";
import { crdSpec } from "../list/spec";
import { TABS, type Tab } from "../state/url";
import { formatAge } from "../ui/format";
import { Empty, ErrorState, Loading } from "../ui/states";
import { Status } from "../ui/Status";
import { useNow } from "../ui/useNow";

const POLL_MS = 12_000;
type Kind = "nodepools" | "nodeclaims";

export function KarpenterPage({ cluster }: { cluster: string }) {
  const overview = useQuery({
    queryKey: ["karpenter", cluster],
    queryFn: ({ signal }) => getJson<KarpenterOverview>(API.karpenter(cluster), signal),
    refetchInterval: POLL_MS,
    retry: false,
  });
  const crds = useCrds(cluster);
  const [params, setParams] = useSearchParams();
  const kind = params.get("kind") as Kind | null;
  const selected = params.get("sel");
  const tabParam = params.get("tab") as Tab | null;
  const tab: Tab = tabParam && TABS.includes(tabParam) ? tabParam : "describe";
  const spec = useMemo(() => {
    const crd = crds.data?.find((c) => c.group === "karpenter.sh" && c.plural === kind);
    return crd ? crdSpec(crd, "v1") : null;
  }, [crds.data, kind]);
  const now = useNow();
  const select = (next: { kind: Kind; name: string } | null, nextTab: Tab = "describe") =>
    setParams(next ? { kind: next.kind, sel: next.name, ...(nextTab !== "describe" ? { tab: nextTab } : {}) } : {}, { replace: true });

  if (overview.isPending) return <Loading label="Loading Karpenter…" />;
  if (overview.isError) {
    return <ErrorState error={overview.error} onRetry={() => void overview.refetch()} attempt={{ verb: "list", resource: "nodepools.karpenter.sh" }} />;
  }
  const data = overview.data;
  if (!data.available) {
    return (
      <Empty title="Karpenter v1 is not installed on this cluster">
        The view needs the karpenter.sh/v1 API (NodePools and NodeClaims). Older Karpenter APIs are still browsable under
        Custom resources.
      </Empty>
    );
  }
  const isSelected = (k: Kind, name: string) => kind === k && selected === name;
  return (
    <div className={`list-page karpenter-page${selected && spec ? " with-detail" : ""}`} data-testid="karpenter-page">
      <div className="toolbar">
        <h1 className="page-title">Karpenter</h1>
      </div>
      <div className="list-body">
        <div className="list-main karpenter-panels">
          <NodePools
            pools={data.nodePools}
            priced={data.metrics.available}
            unpricedReason={data.metrics.reason}
            isSelected={(name) => isSelected("nodepools", name)}
            onOpen={(name) => select({ kind: "nodepools", name })}
          />
          <NodeClaims groups={data.nodeClaims} now={now} isSelected={(name) => isSelected("nodeclaims", name)} onOpen={(name) => select({ kind: "nodeclaims", name })} />
          <PendingPods pods={data.pendingPods} total={data.pendingTotal} cap={data.pendingCap} now={now} />
        </div>
        {selected && spec && kind && (
          <DetailPane
            cluster={cluster}
            spec={spec}
            selection={{ namespace: "", name: selected }}
            tab={tab}
            liveVersion={undefined}
            onTab={(next) => select({ kind, name: selected }, next)}
            onClose={() => select(null)}
          />
        )}
      </div>
    </div>
  );
}

interface NodePoolsProps {
  pools: NodePoolView[];
  priced: boolean;
  unpricedReason?: string;
  isSelected: (name: string) => boolean;
  onOpen: (name: string) => void;
}

function NodePools({ pools, priced, unpricedReason, isSelected, onOpen }: NodePoolsProps) {
  return (
    <section className="panel" aria-label="NodePools">
      <h2 className="panel-title">
        NodePools <span className="count">{pools.length}</span>
      </h2>
      {!priced && (
        <div className="hint hint-warn" data-testid="metrics-unreachable" title={unpricedReason}>
          Controller metrics unreachable, so no cost columns: {unpricedReason || "no answer"}. Reading them needs get on
          services/proxy for karpenter/karpenter:8080.
        </div>
      )}
      {pools.length === 0 ? (
        <Empty title="No NodePools" />
      ) : (
        <table className="mini-table wide" data-testid="nodepools">
          <thead>
            <tr>
              <th>Name</th>
              <th>Weight</th>
              <th>Nodes</th>
              <th>CPU</th>
              <th>Memory</th>
              <th>Consolidation</th>
              <th>Expire after</th>
              <th>Node class</th>
              <th>Ready</th>
              {priced && <th>$/hour</th>}
              {priced && <th>Spot savings</th>}
            </tr>
          </thead>
          <tbody>
            {pools.map((pool) => (
              <tr key={pool.name} className={`clickable${isSelected(pool.name) ? " selected" : ""}`} onClick={() => onOpen(pool.name)}>
                <td className="mono">{pool.name}</td>
                <td>{pool.weight ?? "—"}</td>
                <td>{pool.nodes ?? 0}</td>
                <td>{usageText(pool, "cpu")}</td>
                <td>{usageText(pool, "memory")}</td>
                <td>
                  {pool.consolidationPolicy ?? "—"}
                  {pool.consolidateAfter ? ` after ${pool.consolidateAfter}` : ""}
                </td>
                <td>{pool.expireAfter ?? "—"}</td>
                <td className="mono">{pool.nodeClass ?? "—"}</td>
                <td title={pool.readyMessage}>
                  <Status value={pool.ready === undefined ? "Unknown" : pool.ready ? "Ready" : "NotReady"} />
                </td>
                {priced && <td className="num">{dollarsPerHour(pool.costPerHour)}</td>}
                {priced && <td className="num">{percent(pool.spotSavings)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function NodeClaims({ groups, now, isSelected, onOpen }: { groups: NodeClaimGroup[]; now: number; isSelected: (name: string) => boolean; onOpen: (name: string) => void }) {
  const total = groups.reduce((sum, g) => sum + g.claims.length, 0);
  return (
    <section className="panel" aria-label="NodeClaims">
      <h2 className="panel-title">
        NodeClaims by NodePool <span className="count">{total}</span>
      </h2>
      {groups.length === 0 && <Empty title="No NodeClaims" />}
      {groups.map((group) => (
        // A pool with drifted nodes opens by itself, so the signal shows without a click.
        <details key={group.nodePool} className="claim-group" open={group.drifted > 0 || undefined} data-testid={`claims-${group.nodePool}`}>
          <summary>
            <span className="mono">{group.nodePool || "(no NodePool label)"}</span> <span className="count">{group.claims.length}</span>
            {group.drifted > 0 && <span className="badge badge-warn">{group.drifted} drifted</span>}
          </summary>
          <table className="mini-table wide">
            <thead>
              <tr>
                <th>Name</th>
                <th>Node</th>
                <th>Instance type</th>
                <th>Capacity</th>
                <th>Zone</th>
                <th>State</th>
                <th>Age</th>
              </tr>
            </thead>
            <tbody>
              {group.claims.map((claim) => (
                <tr key={claim.name} className={`clickable${isSelected(claim.name) ? " selected" : ""}`} onClick={() => onOpen(claim.name)}>
                  <td className="mono">{claim.name}</td>
                  <td className="mono">{claim.nodeName ?? "—"}</td>
                  <td>{claim.instanceType ?? "—"}</td>
                  <td>{claim.capacityType ?? "—"}</td>
                  <td>{claim.zone ?? "—"}</td>
                  <td>
                    {claim.drifted ? (
                      <span className="badge badge-warn" title={claim.driftReason}>
                        Drifted
                      </span>
                    ) : (
                      <Status value={claim.ready ? "Ready" : claim.initialized ? "Initialized" : claim.launched ? "Launched" : "Pending"} />
                    )}
                  </td>
                  <td>{formatAge(claim.createdAt, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ))}
    </section>
  );
}

function PendingPods({ pods, total, cap, now }: { pods: PendingPod[]; total: number; cap: number; now: number }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section className="panel" aria-label="Pending pods">
      <h2 className="panel-title">
        Pods waiting for Karpenter <span className="count">{total > pods.length ? `${pods.length}+` : total}</span>
      </h2>
      {total > pods.length && (
        <div className="hint hint-warn" data-testid="pending-cap">
          Showing the first {cap} of {total}, oldest first; use kubectl describe pod for the rest.
        </div>
      )}
      {pods.length === 0 ? (
        <Empty title="No pods are waiting for capacity" />
      ) : (
        <ul className="pending-list" data-testid="pending-pods">
          {pods.map((pod) => {
            const key = `${pod.namespace}/${pod.name}`;
            return (
              <li key={key} className="pending-pod">
                <button type="button" className="pending-head" aria-expanded={open === key} onClick={() => setOpen(open === key ? null : key)}>
                  <span className="mono">{key}</span>
                  <span className="muted">pending {formatAge(pod.pendingSince, now)}</span>
                  {pod.nodePools ? (
                    <span className="badge">{pod.nodePools.length} NodePools refused</span>
                  ) : (
                    <span className="badge badge-quiet">{pod.message ? "scheduler message" : "no scheduling event yet"}</span>
                  )}
                </button>
                {open === key && (
                  <div className="pending-detail">
                    {pod.nodePools ? (
                      <table className="mini-table wide">
                        <thead>
                          <tr>
                            <th>NodePool</th>
                            <th>Why not</th>
                          </tr>
                        </thead>
                        <tbody>
                          {pod.nodePools.map((rejection) => (
                            <tr key={rejection.nodePool}>
                              <td className="mono">{rejection.nodePool}</td>
                              <td className="reason">{rejection.reason}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    ) : (
                      <p className="reason">{pod.message || "No scheduling event found yet; Karpenter writes one within seconds."}</p>
                    )}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
