/** TanStack Query hooks for the read API; query keys live here so invalidation has one source. */

import { useQuery } from "@tanstack/react-query";
import { getJson, getText } from "./client";
import { API, listUrl, objectUrl, sourceKey, type ObjectView, type Source } from "./paths";
import type {
  AuthConfig,
  ClusterInfo,
  CrdInfo,
  CustomListPage,
  Features,
  KubeObject,
  ListPage,
  PrinterColumn,
  Row,
  Whoami,
} from "./types";

export const keys = {
  list: (cluster: string, source: Source, namespace: string, selector = "") =>
    ["list", cluster, sourceKey(source), namespace, selector] as const,
  object: (cluster: string, source: Source, namespace: string, name: string) =>
    ["object", cluster, sourceKey(source), namespace, name] as const,
};

/** A full list: every page fetched and concatenated (pages keep each response small). */
export interface FullList {
  items: Row[];
  resourceVersion: string;
  /** Custom resources only: the printer columns the server evaluated. */
  columns?: PrinterColumn[];
}

const PAGE_SIZE = 500;

export async function fetchFullList(
  cluster: string,
  source: Source,
  namespace: string,
  signal?: AbortSignal,
  labelSelector = "",
): Promise<FullList> {
  const items: Row[] = [];
  let continueToken = "";
  let first: CustomListPage | ListPage | null = null;
  do {
    const url = listUrl(cluster, source, {
      namespace: namespace || undefined,
      limit: PAGE_SIZE,
      continueToken: continueToken || undefined,
      labelSelector: labelSelector || undefined,
    });
    const page: CustomListPage | ListPage = await getJson<CustomListPage | ListPage>(url, signal);
    first ??= page;
    items.push(...page.items);
    continueToken = page.continue ?? "";
  } while (continueToken);
  const columns = first && "columns" in first ? first.columns : undefined;
  return { items, resourceVersion: first?.resourceVersion ?? "", columns };
}

export function useClusters() {
  return useQuery({
    queryKey: ["clusters"],
    queryFn: ({ signal }) => getJson<{ clusters: ClusterInfo[] }>(API.clusters, signal).then((r) => r.clusters),
    staleTime: 60_000,
  });
}

export function useFeatures() {
  return useQuery({
    queryKey: ["features"],
    queryFn: ({ signal }) => getJson<Features>(API.features, signal),
    staleTime: Infinity,
  });
}

export function useCrds(cluster: string | undefined) {
  return useQuery({
    queryKey: ["crds", cluster],
    queryFn: ({ signal }) => getJson<{ crds: CrdInfo[] }>(API.crds(cluster ?? ""), signal).then((r) => r.crds),
    enabled: cluster !== undefined,
    staleTime: 60_000,
  });
}

export function useObject(cluster: string, source: Source, namespace: string, name: string) {
  return useQuery({
    queryKey: keys.object(cluster, source, namespace, name),
    queryFn: ({ signal }) => getJson<KubeObject>(objectUrl(cluster, source, namespace, name), signal),
  });
}

export function useObjectYaml(cluster: string, source: Source, namespace: string, name: string) {
  const view: ObjectView = "yaml";
  return useQuery({
    queryKey: [...keys.object(cluster, source, namespace, name), view],
    queryFn: ({ signal }) => getText(objectUrl(cluster, source, namespace, name, view), signal),
  });
}

export function useObjectEvents(cluster: string, source: Source, namespace: string, name: string) {
  const view: ObjectView = "events";
  return useQuery({
    queryKey: [...keys.object(cluster, source, namespace, name), view],
    queryFn: ({ signal }) => getJson<ListPage>(objectUrl(cluster, source, namespace, name, view), signal),
  });
}

/** Rows selected by labels (related pods of a workload or service). */
export function useSelected(cluster: string, source: Source, namespace: string, selector: string) {
  return useQuery({
    queryKey: keys.list(cluster, source, namespace, selector),
    queryFn: ({ signal }) => fetchFullList(cluster, source, namespace, signal, selector),
    enabled: selector !== "",
  });
}

export function useWhoami() {
  return useQuery({
    queryKey: ["whoami"],
    queryFn: ({ signal }) => getJson<Whoami>(API.whoami, signal),
    staleTime: 5 * 60_000,
    retry: false,
  });
}

export function useAuthConfig() {
  return useQuery({
    queryKey: ["auth-config"],
    queryFn: ({ signal }) => getJson<AuthConfig>(API.authConfig, signal),
    retry: false,
  });
}
