import { Outlet, useOutletContext, useParams } from "react-router";
import { useClusters } from "../api/queries";
import type { ClusterInfo } from "../api/types";
import { NotFound } from "../pages/NotFound";
import { ErrorState, Loading } from "../ui/states";
import { Sidebar } from "./Sidebar";

/** Everything under /clusters/:cluster: checks the cluster exists, then sidebar plus page. */
export function ClusterScope() {
  const { cluster = "" } = useParams();
  const clusters = useClusters();
  if (clusters.isPending) return <Loading />;
  if (clusters.isError) return <ErrorState error={clusters.error} />;
  const info = clusters.data.find((c) => c.name === cluster);
  if (!info) return <NotFound what={`cluster “${cluster}”`} />;
  return (
    <div className="cluster-scope">
      <Sidebar cluster={cluster} backend={info.backend} />
      <div className="cluster-page">
        <Outlet context={info} />
      </div>
    </div>
  );
}

export function useCluster(): ClusterInfo {
  return useOutletContext<ClusterInfo>();
}
