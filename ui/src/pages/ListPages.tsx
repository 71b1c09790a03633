/** Route adapters: resolve the URL's kind or CRD to a list spec and render the generic list. */

import { useMemo } from "react";
import { useParams } from "react-router";
import { useCrds, useFeatures } from "../api/queries";
import { kindByPlural } from "../kinds/registry";
import { ResourceList } from "../list/ResourceList";
import { crdSpec, kindSpec } from "../list/spec";
import { ErrorState, Loading } from "../ui/states";
import { NotFound } from "./NotFound";

export function KindListPage({ cluster }: { cluster: string }) {
  const { plural = "" } = useParams();
  const features = useFeatures();
  const def = kindByPlural(plural);
  const watchStreams = features.data?.watchStreams;
  const spec = useMemo(() => (def ? kindSpec(def, watchStreams ?? []) : null), [def, watchStreams]);
  if (!spec) return <NotFound what={`kind “${plural}”`} />;
  // Wait for the feature list so the page does not open a stream and then drop it.
  if (features.isPending) return <Loading />;
  return <ResourceList key={`${cluster}/${plural}`} cluster={cluster} spec={spec} />;
}

export function CustomListPage({ cluster }: { cluster: string }) {
  const { group = "", version = "", plural = "" } = useParams();
  const crds = useCrds(cluster);
  const crd = crds.data?.find((c) => c.group === group && c.plural === plural);
  const spec = useMemo(() => (crd ? crdSpec(crd, version) : null), [crd, version]);
  if (crds.isPending) return <Loading />;
  if (crds.isError) {
    return <ErrorState error={crds.error} attempt={{ verb: "list", resource: "customresourcedefinitions" }} />;
  }
  if (!spec) return <NotFound what={`custom resource ${plural}.${group}`} />;
  return <ResourceList key={`${cluster}/${group}/${version}/${plural}`} cluster={cluster} spec={spec} />;
}
