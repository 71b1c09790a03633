import { useState } from "react";
import { Link } from "react-router";
import { useCrds } from "../api/queries";
import { listPath } from "../state/url";
import { Icon } from "../ui/Icon";
import { Empty, ErrorState, Loading } from "../ui/states";

/** The custom resource catalog: every CRD with its group, scope and served version. */
export function CrdsPage({ cluster }: { cluster: string }) {
  const crds = useCrds(cluster);
  const [filter, setFilter] = useState("");
  if (crds.isPending) return <Loading label="Loading custom resource definitions…" />;
  if (crds.isError) return <ErrorState error={crds.error} attempt={{ verb: "list", resource: "customresourcedefinitions" }} />;
  const term = filter.trim().toLowerCase();
  const rows = crds.data.filter((c) => c.name.includes(term) || c.kind.toLowerCase().includes(term));
  return (
    <div className="page">
      <div className="toolbar">
        <h1 className="page-title">
          Custom resources <span className="count">{crds.data.length}</span>
        </h1>
        <label className="filter">
          <Icon name="search" size={14} />
          <input className="input" placeholder="Filter by kind or name" aria-label="Filter" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
      </div>
      {rows.length === 0 ? (
        <Empty title="No custom resource definitions" />
      ) : (
        <table className="mini-table wide">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Group</th>
              <th>Version</th>
              <th>Scope</th>
              <th>Short names</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((crd) => (
              <tr key={crd.name}>
                <td>
                  <Link to={listPath(cluster, { plural: crd.plural, crd: { group: crd.group, version: crd.servedVersion } })}>{crd.kind}</Link>
                </td>
                <td className="mono">{crd.group}</td>
                <td className="mono">{crd.servedVersion}</td>
                <td>{crd.scope}</td>
                <td className="mono text-muted">{crd.shortNames.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
