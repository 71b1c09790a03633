/** Fleet data: the server's aggregated ``/api/fleet``, or per-cluster summaries built in the browser when the
 * server has no fleet endpoint. */

import { useQueries, useQuery } from "@tanstack/react-query";
import { getJson, isMissingEndpoint } from "../api/client";
import { API } from "../api/paths";
import { fetchFullList, useClusters } from "../api/queries";
import type { ClusterInfo } from "../api/types";
import { failedEntry, summarize, type FleetEntry } from "./summary";

const FLEET_POLL_MS = 15_000;
const BROWSER_POLL_MS = 30_000;

function clusterSummaryQuery(cluster: ClusterInfo) {
  return {
    queryKey: ["cluster-summary", cluster.name],
    queryFn: async ({ signal }: { signal: AbortSignal }): Promise<FleetEntry> => {
      const [nodes, pods, namespaces] = await Promise.all(
        ["nodes", "pods", "namespaces"].map((plural) => fetchFullList(cluster.name, { plural }, "", signal)),
      );
      return summarize(cluster, nodes?.items ?? [], pods?.items ?? [], namespaces?.items.length ?? 0);
    },
    refetchInterval: BROWSER_POLL_MS,
    retry: false,
  };
}

/** A card whose cluster is still being summarised. */
export interface PendingEntry {
  name: string;
  environment?: string;
  loading: true;
}

export interface FleetView {
  entries: (FleetEntry | PendingEntry)[];
  isLoading: boolean;
  error: unknown;
}

export function useFleet(): FleetView {
  const fleet = useQuery({
    queryKey: ["fleet"],
    queryFn: ({ signal }) => getJson<{ clusters: FleetEntry[] }>(API.fleet, signal),
    refetchInterval: FLEET_POLL_MS,
    retry: false,
  });
  const inBrowser = fleet.isError && isMissingEndpoint(fleet.error);
  const clusters = useClusters();
  const summaries = useQueries({
    queries: inBrowser ? (clusters.data ?? []).map(clusterSummaryQuery) : [],
  });

  if (fleet.data) {
    return {
      entries: fleet.data.clusters.map((entry) => ({ ...entry, hotSignals: entry.hotSignals ?? [] })),
      isLoading: false,
      error: null,
    };
  }
  if (!inBrowser) return { entries: [], isLoading: fleet.isPending, error: fleet.error };
  const list = clusters.data ?? [];
  return {
    entries: list.map((cluster, i) => {
      const summary = summaries[i];
      if (summary?.data) return summary.data;
      if (summary?.isError) return failedEntry(cluster, summary.error);
      return { name: cluster.name, environment: cluster.environment, loading: true as const };
    }),
    isLoading: clusters.isPending,
    error: clusters.error,
  };
}
