import { NavLink, useParams, useSearchParams } from "react-router";
import { useCrds } from "../api/queries";
import type { CrdInfo } from "../api/types";
import { hasUpgrades } from "../eks/upgrades";
import { hasKarpenterV1 } from "../karpenter/types";
import { KINDS, SECTIONS } from "../kinds/registry";
import { clusterPath, listPath } from "../state/url";

function groupCrds(crds: readonly CrdInfo[]): [string, CrdInfo[]][] {
  const groups = new Map<string, CrdInfo[]>();
  for (const crd of crds) groups.set(crd.group, [...(groups.get(crd.group) ?? []), crd]);
  return [...groups].sort(([a], [b]) => a.localeCompare(b));
}

/** Overview, every registry kind by section, and the cluster's custom resources by group. */
export function Sidebar({ cluster, backend }: { cluster: string; backend: string }) {
  const [params] = useSearchParams();
  const { group: activeGroup } = useParams();
  const ns = params.get("ns");
  // Moving between kinds keeps the namespace, so "pods in shop" -> "services in shop" is one click.
  const keep = ns ? `?ns=${encodeURIComponent(ns)}` : "";
  const crds = useCrds(cluster);
  const item = ({ isActive }: { isActive: boolean }) => `side-item${isActive ? " active" : ""}`;
  return (
    <nav className="sidebar" aria-label="Kinds">
      <NavLink end to={clusterPath(cluster)} className={item}>
        Overview
      </NavLink>
      <NavLink to={`${clusterPath(cluster)}/helm`} className={item}>
        Helm
      </NavLink>
      {hasKarpenterV1(crds.data ?? []) && (
        <NavLink to={`${clusterPath(cluster)}/karpenter`} className={item}>
          Karpenter
        </NavLink>
      )}
      {hasUpgrades({ backend }) && (
        <NavLink to={`${clusterPath(cluster)}/upgrades`} className={item}>
          Upgrades
        </NavLink>
      )}
      {SECTIONS.map((section) => (
        <div key={section} className="side-section">
          <div className="side-title">{section}</div>
          {KINDS.filter((k) => k.section === section).map((kind) => (
            <NavLink key={kind.plural} to={listPath(cluster, { plural: kind.plural }) + keep} className={item}>
              {kind.title}
            </NavLink>
          ))}
        </div>
      ))}
      <div className="side-section">
        <div className="side-title">Custom resources</div>
        <NavLink end to={`${clusterPath(cluster)}/crds`} className={item}>
          All definitions
        </NavLink>
        {crds.isError && <div className="side-note">Not allowed to list CRDs</div>}
        {groupCrds(crds.data ?? []).map(([group, list]) => (
          <details key={group} className="side-group" open={group === activeGroup || undefined}>
            <summary title={group}>{group}</summary>
            {list.map((crd) => (
              <NavLink
                key={crd.name}
                to={listPath(cluster, { plural: crd.plural, crd: { group: crd.group, version: crd.servedVersion } }) + keep}
                className={item}
              >
                {crd.kind}
              </NavLink>
            ))}
          </details>
        ))}
      </div>
    </nav>
  );
}
