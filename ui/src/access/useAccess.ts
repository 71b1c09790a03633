import { useQuery } from "@tanstack/react-query";
import { send } from "../api/client";
import { API } from "../api/paths";
import { CHECKING, checkKey, gate, UNCHECKED, type AccessCheck, type AccessResult, type Gate } from "./canI";

/** The gates for `checks`, asked in one batch; unknown (enabled, with a note) when the pre-flight fails. */
export function useAccess(cluster: string, checks: readonly AccessCheck[]): Gate[] {
  const keys = checks.map(checkKey);
  const query = useQuery({
    queryKey: ["can-i", cluster, ...keys],
    queryFn: async () => {
      const body = await send<{ results: AccessResult[] }>("POST", API.canI(cluster), { checks });
      return body?.results ?? [];
    },
    enabled: checks.length > 0,
    staleTime: 30_000,
    retry: false,
  });
  if (query.isPending) return checks.map(() => CHECKING);
  if (query.isError) return checks.map(() => UNCHECKED);
  return checks.map((check, i) => gate(check, query.data[i]));
}
