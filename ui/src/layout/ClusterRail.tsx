import { Link, NavLink, useLocation } from "react-router";
import { useClusters } from "../api/queries";
import { clusterPath } from "../state/url";
import { Icon } from "../ui/Icon";

/** The same page on another cluster: /clusters/a/pods?ns=x -> /clusters/b/pods (selection and namespace dropped). */
function switchedPath(pathname: string, current: string | undefined, target: string): string {
  if (!current) return clusterPath(target);
  const prefix = clusterPath(current);
  return pathname.startsWith(prefix) ? clusterPath(target) + pathname.slice(prefix.length) : clusterPath(target);
}

function initials(name: string): string {
  const parts = name.split(/[-_.]/).filter(Boolean);
  const text = parts.length > 1 ? `${parts[0]?.[0] ?? ""}${parts[1]?.[0] ?? ""}` : name.slice(0, 2);
  return text.toUpperCase();
}

/** Every cluster as a button down the left edge; the fleet on top. */
export function ClusterRail({ current }: { current: string | undefined }) {
  const clusters = useClusters();
  const { pathname } = useLocation();
  return (
    <nav className="rail" aria-label="Clusters">
      <Link to="/" className={`rail-item${current || pathname !== "/" ? "" : " active"}`} title="Fleet" aria-label="Fleet">
        <Icon name="grid" size={18} />
      </Link>
      <div className="rail-sep" />
      {(clusters.data ?? []).map((cluster) => (
        <Link
          key={cluster.name}
          to={switchedPath(pathname, current, cluster.name)}
          className={`rail-item rail-env-${cluster.environment ?? "other"}${cluster.name === current ? " active" : ""}`}
          title={`${cluster.name}${cluster.environment ? ` (${cluster.environment})` : ""}`}
          aria-label={`Cluster ${cluster.name}`}
        >
          {initials(cluster.name)}
        </Link>
      ))}
      <div className="rail-end">
        <NavLink to="/audit" className={({ isActive }) => `rail-item rail-tool${isActive ? " active" : ""}`} title="Audit log" aria-label="Audit log">
          <Icon name="shield" size={17} />
        </NavLink>
      </div>
    </nav>
  );
}
