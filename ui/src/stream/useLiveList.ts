/** A list that stays current: the watch stream when the server has one, polling otherwise. */

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { watchUrl, type Source } from "../api/paths";
import { fetchFullList, keys } from "../api/queries";
import type { PrinterColumn, Row } from "../api/types";
import type { Health } from "./policy";
import { applyBatch, EMPTY, fromItems, type ListState } from "./reducer";
import { WatchFeed } from "./watchFeed";

interface ListData {
  state: ListState;
  columns?: PrinterColumn[];
}

export interface LiveList {
  rows: Row[];
  columns: PrinterColumn[] | undefined;
  health: Health;
  error: unknown;
  isLoading: boolean;
  refetch: () => void;
}

export interface LiveOptions {
  /** The server streams this kind (``/api/features`` watchStreams). */
  streamable: boolean;
  pollSeconds: number;
}

export function useLiveList(cluster: string, source: Source, namespace: string, options: LiveOptions): LiveList {
  const queryClient = useQueryClient();
  const queryKey = keys.list(cluster, source, namespace);
  const [health, setHealth] = useState<Health>(options.streamable ? "connecting" : "polling");
  // Once the stream has sent a snapshot, a slower initial list must not overwrite newer rows.
  const streamSynced = useRef(false);
  const polling = health === "polling";

  const query = useQuery({
    queryKey,
    queryFn: async ({ signal }): Promise<ListData> => {
      const full = await fetchFullList(cluster, source, namespace, signal);
      const current = queryClient.getQueryData<ListData>(queryKey);
      if (streamSynced.current && current) return current;
      return { state: fromItems(full.items, full.resourceVersion), columns: full.columns };
    },
    refetchInterval: polling ? options.pollSeconds * 1000 : false,
    structuralSharing: false,
  });

  const stableKey = queryKey.join("\u0000");
  useEffect(() => {
    streamSynced.current = false;
    if (!options.streamable) {
      setHealth("polling");
      return undefined;
    }
    const feed = new WatchFeed(watchUrl(cluster, source, namespace || undefined), {
      onHealth: (next) => {
        streamSynced.current = next === "live" || (streamSynced.current && next === "reconnecting");
        setHealth(next);
        // The session ended: re-checking identity brings up the sign-in screen.
        if (next === "expired") void queryClient.invalidateQueries({ queryKey: ["whoami"] });
      },
      onMessages: (messages) => {
        queryClient.setQueryData<ListData>(queryKey, (old) => ({
          ...old,
          state: applyBatch(old?.state ?? EMPTY, messages),
        }));
        for (const message of messages) {
          if (message.type === "modified" || message.type === "deleted") {
            const { namespace: ns, name } = message.object;
            void queryClient.invalidateQueries({ queryKey: keys.object(cluster, source, ns, name) });
          }
        }
      },
    });
    feed.start();
    return () => feed.stop();
    // stableKey stands for cluster, source and namespace: one stream per list, not per render.
  }, [stableKey, options.streamable]);

  const rowsMap = query.data?.state.rows;
  const rows = useMemo(() => (rowsMap ? Array.from(rowsMap.values()) : []), [rowsMap]);
  return {
    rows,
    columns: query.data?.columns,
    health,
    error: query.error,
    isLoading: query.isPending,
    refetch: () => void query.refetch(),
  };
}
