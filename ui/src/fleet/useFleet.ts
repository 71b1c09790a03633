/** Fleet data: the server's aggregated `/api/fleet`, polled while the page is open. */

import { useQuery } from "@tanstack/react-query";
import { getJson } from "../api/client";
import { API } from "../api/paths";
import type { FleetEntry } from "./summary";

const FLEET_POLL_MS = 15_000;

export interface FleetView {
  entries: FleetEntry[];
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
  return {
    entries: (fleet.data?.clusters ?? []).map((entry) => ({ ...entry, hotSignals: entry.hotSignals ?? [] })),
    isLoading: fleet.isPending,
    error: fleet.error,
  };
}
