/** The URL is the state that can be shared: cluster and kind in the path; namespace, filter, sort,
 * selection and detail tab in the query string. */

import type { Source } from "../api/paths";
import type { SortSpec } from "../table/logic";

export const TABS = ["describe", "yaml", "events", "related", "logs", "edit"] as const;
export type Tab = (typeof TABS)[number];

export interface Selection {
  namespace: string;
  name: string;
}

export interface ListUrlState {
  /** "" means all namespaces. */
  namespace: string;
  filter: string;
  /** Absent means the kind's default order. */
  sort: SortSpec | null;
  selection: Selection | null;
  tab: Tab;
}

const enc = encodeURIComponent;

export function clusterPath(cluster: string): string {
  return `/clusters/${enc(cluster)}`;
}

export function listPath(cluster: string, source: Source): string {
  const root = clusterPath(cluster);
  if (!source.crd) return `${root}/${enc(source.plural)}`;
  return `${root}/customresources/${enc(source.crd.group)}/${enc(source.crd.version)}/${enc(source.plural)}`;
}

/** "ns/name" for namespaced objects, "name" for cluster-scoped ones (names never contain "/"). */
function parseSelection(value: string | null): Selection | null {
  if (!value) return null;
  const slash = value.indexOf("/");
  if (slash === -1) return { namespace: "", name: value };
  const name = value.slice(slash + 1);
  return name ? { namespace: value.slice(0, slash), name } : null;
}

function formatSelection(selection: Selection): string {
  return selection.namespace ? `${selection.namespace}/${selection.name}` : selection.name;
}

export function parseListState(params: URLSearchParams): ListUrlState {
  const sortParam = params.get("sort") ?? "";
  const sortColumn = sortParam.replace(/^-/, "");
  const tabParam = params.get("tab") ?? "";
  return {
    namespace: params.get("ns") ?? "",
    filter: params.get("q") ?? "",
    sort: sortColumn ? { column: sortColumn, desc: sortParam.startsWith("-") } : null,
    selection: parseSelection(params.get("sel")),
    tab: (TABS as readonly string[]).includes(tabParam) ? (tabParam as Tab) : "describe",
  };
}

/** The query string for a list state; defaults are left out so URLs stay short. */
export function listSearch(state: Partial<ListUrlState>): string {
  const params = new URLSearchParams();
  if (state.namespace) params.set("ns", state.namespace);
  if (state.filter) params.set("q", state.filter);
  if (state.sort) params.set("sort", `${state.sort.desc ? "-" : ""}${state.sort.column}`);
  if (state.selection) params.set("sel", formatSelection(state.selection));
  if (state.selection && state.tab && state.tab !== "describe") params.set("tab", state.tab);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** A link to one object: its list, narrowed to its namespace, with the object open. */
export function objectHref(cluster: string, source: Source, selection: Selection, tab: Tab = "describe"): string {
  return listPath(cluster, source) + listSearch({ namespace: selection.namespace, selection, tab });
}
