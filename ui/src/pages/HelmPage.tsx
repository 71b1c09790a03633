/** The Helm releases of a cluster, each at its newest revision, as the caller may read them. */

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { getJson } from "../api/client";
import { helmUrl } from "../api/paths";
import { chartText, filterReleases, helmTone, releaseHref, type ReleaseList } from "../helm/types";
import { formatAge, formatTimestamp } from "../ui/format";
import { Icon } from "../ui/Icon";
import { Empty, ErrorState, Loading } from "../ui/states";
import { Status } from "../ui/Status";
import { useNow } from "../ui/useNow";

const POLL_MS = 30_000;

export function HelmPage({ cluster }: { cluster: string }) {
  const list = useQuery({
    queryKey: ["helm", cluster],
    queryFn: ({ signal }) => getJson<ReleaseList>(helmUrl(cluster), signal),
    refetchInterval: POLL_MS,
    retry: false,
  });
  const [filter, setFilter] = useState("");
  const navigate = useNavigate();
  const now = useNow();
  if (list.isPending) return <Loading label="Loading Helm releases…" />;
  if (list.isError) {
    return <ErrorState error={list.error} onRetry={() => void list.refetch()} attempt={{ verb: "list", resource: "secrets" }} />;
  }
  const { releases, truncated, hiddenNamespaces } = list.data;
  const rows = filterReleases(releases, filter);
  return (
    <div className="page helm-page" data-testid="helm-page">
      <div className="toolbar">
        <h1 className="page-title">
          Helm releases <span className="count">{releases.length}</span>
        </h1>
        <label className="filter">
          <Icon name="search" size={14} />
          <input className="input" placeholder="Filter by name, namespace, chart or status" aria-label="Filter" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
      </div>
      <div className="helm-body">
        {truncated && <div className="hint hint-warn">Showing the first {releases.length} releases by namespace and name; use helm list for the rest.</div>}
        {hiddenNamespaces > 0 && (
          <div className="hint hint-info" data-testid="hidden-namespaces">
            You may not read Helm's release records (Secrets) across the cluster: {hiddenNamespaces} namespace{hiddenNamespaces === 1 ? " is" : "s are"} not
            listed.
          </div>
        )}
        {rows.length === 0 ? (
          <Empty title={releases.length ? "No release matches the filter" : "No Helm releases on this cluster"} />
        ) : (
          <table className="mini-table wide" data-testid="helm-releases">
            <thead>
              <tr>
                <th>Namespace</th>
                <th>Name</th>
                <th>Chart</th>
                <th>App version</th>
                <th>Revision</th>
                <th>Status</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const href = releaseHref(cluster, r.namespace, r.name);
                return (
                  <tr key={`${r.namespace}/${r.name}`} className="clickable" onClick={() => void navigate(href)}>
                    <td className="mono">{r.namespace}</td>
                    <td className="mono">
                      <Link to={href} onClick={(e) => e.stopPropagation()}>
                        {r.name}
                      </Link>
                      {r.problem && (
                        <span className="badge badge-bad" title={r.problem}>
                          unreadable
                        </span>
                      )}
                    </td>
                    <td className="mono">{chartText(r)}</td>
                    <td>{r.appVersion ?? "—"}</td>
                    <td>{r.revision}</td>
                    <td title={r.description}>
                      <Status value={r.status} tone={helmTone(r.status)} />
                    </td>
                    <td title={formatTimestamp(r.updated)}>{formatAge(r.updated, now)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}
