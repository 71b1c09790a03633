import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { fetchFullList } from "../api/queries";
import type { ClusterInfo, Row } from "../api/types";
import { StatusGlyph } from "../fleet/FleetCard";
import { podSignal, summarize } from "../fleet/summary";
import { num, str } from "../kinds/columns";
import { listPath, objectHref } from "../state/url";
import { compactCount, formatAge } from "../ui/format";
import { Status } from "../ui/Status";
import { Empty, ErrorState, Loading } from "../ui/states";
import { useNow } from "../ui/useNow";

const PLURALS = ["nodes", "pods", "namespaces", "deployments", "events"] as const;
type Plural = (typeof PLURALS)[number];
type Lists = Record<Plural, Row[] | { error: unknown }>;

async function loadLists(cluster: string, signal: AbortSignal): Promise<Lists> {
  const settled = await Promise.allSettled(PLURALS.map((plural) => fetchFullList(cluster, { plural }, "", signal)));
  return Object.fromEntries(
    PLURALS.map((plural, i) => {
      const result = settled[i];
      return [plural, result?.status === "fulfilled" ? result.value.items : { error: result?.reason }];
    }),
  ) as Lists;
}

const rowsOf = (value: Row[] | { error: unknown }): Row[] => (Array.isArray(value) ? value : []);

/** One cluster at a glance: counts, what is failing, and recent warnings. */
export function OverviewPage({ cluster }: { cluster: ClusterInfo }) {
  const lists = useQuery({
    queryKey: ["overview", cluster.name],
    queryFn: ({ signal }) => loadLists(cluster.name, signal),
    refetchInterval: 30_000,
  });
  const now = useNow();
  if (lists.isPending) return <Loading label={`Loading ${cluster.name}…`} />;
  if (lists.isError) return <ErrorState error={lists.error} onRetry={() => void lists.refetch()} />;
  const data = lists.data;
  const pods = rowsOf(data.pods);
  const entry = summarize(cluster, rowsOf(data.nodes), pods, rowsOf(data.namespaces).length);
  const failing = pods.filter((pod) => podSignal(pod)).slice(0, 20);
  const unready = rowsOf(data.deployments).filter((d) => num(d, "ready") < num(d, "replicas"));
  const warnings = rowsOf(data.events)
    .filter((e) => e.type === "Warning")
    .sort((a, b) => Date.parse(str(b, "lastTimestamp")) - Date.parse(str(a, "lastTimestamp")))
    .slice(0, 12);
  const s = entry.summary;
  const denied = PLURALS.filter((plural) => !Array.isArray(data[plural]));
  return (
    <div className="page overview" data-testid="overview">
      <div className="toolbar">
        <h1 className="page-title">
          <StatusGlyph status={entry.status} /> {cluster.name}
        </h1>
        {cluster.environment && <span className={`badge env env-${cluster.environment}`}>{cluster.environment}</span>}
        <span className="badge">{cluster.backend}</span>
        {entry.kubernetesVersion && <span className="badge badge-quiet mono">{entry.kubernetesVersion}</span>}
      </div>
      {denied.length > 0 && (
        <div className="banner banner-warn">Some sections are incomplete: cannot list {denied.join(", ")}.</div>
      )}
      {s && (
        <div className="tiles">
          <Tile to={listPath(cluster.name, { plural: "nodes" })} label="Nodes ready" value={`${s.nodes.ready}/${s.nodes.total}`} warn={s.nodes.ready < s.nodes.total} />
          <Tile to={listPath(cluster.name, { plural: "pods" })} label="Pods running" value={`${compactCount(s.pods.running)}/${compactCount(s.pods.total)}`} />
          <Tile to={listPath(cluster.name, { plural: "pods" })} label="Pods pending" value={compactCount(s.pods.pending)} warn={s.pods.pending > 0} />
          <Tile to={listPath(cluster.name, { plural: "pods" })} label="Stuck or failed" value={compactCount(s.stuckOrFailed)} bad={s.stuckOrFailed > 0} />
          <Tile to={listPath(cluster.name, { plural: "deployments" })} label="Deployments degraded" value={String(unready.length)} warn={unready.length > 0} />
          <Tile to={listPath(cluster.name, { plural: "namespaces" })} label="Namespaces" value={compactCount(s.namespaces)} />
        </div>
      )}
      <div className="overview-grid">
        <section className="panel">
          <h2 className="panel-title">Needs attention</h2>
          {failing.length === 0 ? (
            <Empty title="Nothing failing" />
          ) : (
            <ul className="link-list">
              {failing.map((pod) => (
                <li key={pod.uid}>
                  <Status value={str(pod, "status")} />
                  <Link to={objectHref(cluster.name, { plural: "pods" }, { namespace: pod.namespace, name: pod.name })}>
                    {pod.namespace}/{pod.name}
                  </Link>
                  <span className="text-muted">{num(pod, "restarts")} restarts</span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="panel">
          <h2 className="panel-title">Recent warnings</h2>
          {warnings.length === 0 ? (
            <Empty title="No warnings" />
          ) : (
            <ul className="event-list">
              {warnings.map((event) => (
                <li key={event.uid} className="event">
                  <div className="event-head">
                    <strong>{str(event, "reason")}</strong>
                    <span className="mono text-muted">{involved(event)}</span>
                    <span className="event-age">{formatAge(str(event, "lastTimestamp") || event.createdAt, now)} ago</span>
                  </div>
                  <div className="event-message clamp2">{str(event, "message")}</div>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </div>
  );
}

function involved(event: Row): string {
  const ref = (event.involvedObject ?? {}) as { kind?: string; name?: string; namespace?: string };
  return `${(ref.kind ?? "").toLowerCase()}/${ref.namespace ? `${ref.namespace}/` : ""}${ref.name ?? ""}`;
}

function Tile({ to, label, value, warn, bad }: { to: string; label: string; value: string; warn?: boolean; bad?: boolean }) {
  return (
    <Link to={to} className={`tile${bad ? " tile-bad" : warn ? " tile-warn" : ""}`}>
      <div className="tile-value">{value}</div>
      <div className="tile-label">{label}</div>
    </Link>
  );
}
