import { useObjectYaml } from "../api/queries";
import { ErrorState, Loading } from "../ui/states";
import type { ObjectTarget } from "./DetailPane";
import { YamlView } from "./YamlView";

/** The object as YAML (managedFields stripped by the server), highlighted, with copy and download. */
export function YamlTab({ cluster, spec, selection }: ObjectTarget) {
  const yaml = useObjectYaml(cluster, spec.source, selection.namespace, selection.name);
  if (yaml.isPending) return <Loading label="Loading YAML…" />;
  if (yaml.isError) {
    return <ErrorState error={yaml.error} attempt={{ verb: "get", resource: spec.source.plural, namespace: selection.namespace }} />;
  }
  return <YamlView text={yaml.data} fileName={`${spec.kind.toLowerCase()}-${selection.name}.yaml`} />;
}
