/** `/api/clusters/{c}/helm/releases/...`, as the server answers it, and what the pages derive from it. */

import type { Change } from "../api/types";
import { kindByApiVersion } from "../kinds/registry";
import { clusterPath, objectHref } from "../state/url";
import type { Tone } from "../ui/format";

export interface ReleaseSummary {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chartName?: string;
  chartVersion?: string;
  appVersion?: string;
  updated?: string;
  description?: string;
  /** Why the stored release could not be read; the row then shows what its labels say. */
  problem?: string;
}

export interface ReleaseList {
  releases: ReleaseSummary[];
  truncated: boolean;
  hiddenNamespaces: number;
}

export interface ReleaseResource {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface ReleaseDetail {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  description: string;
  chartName: string;
  chartVersion: string;
  appVersion: string;
  icon: string;
  updated: string;
  notes: string;
  valuesYaml: string;
  manifestYaml: string;
  resources: ReleaseResource[];
}

export interface ReleaseHistory {
  /** Newest first. */
  revisions: ReleaseSummary[];
  total: number;
}

export interface ObjectChange {
  change: "added" | "removed" | "modified";
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  fields?: Change[];
}

export interface ReleaseDiff {
  name: string;
  namespace: string;
  fromRevision: number;
  toRevision: number;
  fromManifest: string;
  toManifest: string;
  changes: ObjectChange[];
  fromValues: string;
  toValues: string;
  valueChanges: Change[];
}

export const RELEASE_TABS = ["notes", "values", "manifest", "resources", "history", "diff"] as const;
export type ReleaseTab = (typeof RELEASE_TABS)[number];

/** The console page of one release (the browser's route, not the API's). */
export function releaseHref(cluster: string, namespace: string, name: string): string {
  return `${clusterPath(cluster)}/helm/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

/** Helm's release states as colours: what runs now, what failed, what is half-way, what is history. */
export function helmTone(status: string): Tone {
  if (status === "deployed") return "ok";
  if (status === "failed") return "bad";
  if (status.startsWith("pending-") || status === "uninstalling") return "warn";
  return "muted";
}

/** "ingress-nginx-4.11.3", as `helm list` prints the chart. */
export function chartText(release: { chartName?: string; chartVersion?: string }): string {
  if (!release.chartName) return "—";
  return release.chartVersion ? `${release.chartName}-${release.chartVersion}` : release.chartName;
}

/** The revisions to diff by default: the one shown against the newest older one kept. */
export function defaultDiff(revisions: readonly number[], shown: number): { from: number; to: number } | null {
  const older = revisions.filter((r) => r < shown);
  return older.length ? { from: Math.max(...older), to: shown } : null;
}

/** "1 modified · 2 added", in a fixed order; "" when nothing changed. */
export function changeSummary(changes: readonly ObjectChange[]): string {
  const order: ObjectChange["change"][] = ["modified", "added", "removed"];
  return order
    .map((kind) => [kind, changes.filter((c) => c.change === kind).length] as const)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(" · ");
}

/** Whether a change is more than relabelling (every upgrade bumps helm.sh/chart and the version labels). */
export function beyondLabels(change: ObjectChange): boolean {
  if (change.change !== "modified") return true;
  return (change.fields ?? []).some((f) => !/^\.metadata\.(labels|annotations)(\.|$)/.test(f.path));
}

/** Where the console shows an object of the manifest; null for kinds it does not list. */
export function resourceHref(cluster: string, resource: ReleaseResource): string | null {
  const def = kindByApiVersion(resource.apiVersion, resource.kind);
  if (!def || def.namespaced !== Boolean(resource.namespace)) return null;
  return objectHref(cluster, { plural: def.plural }, { namespace: resource.namespace, name: resource.name });
}

/** Releases whose name, namespace, chart or status contain every word of the query. */
export function filterReleases(releases: readonly ReleaseSummary[], query: string): ReleaseSummary[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [...releases];
  return releases.filter((r) => {
    const text = [r.namespace, r.name, chartText(r), r.appVersion ?? "", r.status].join(" ").toLowerCase();
    return words.every((w) => text.includes(w));
  });
}
