import { Link } from "react-router";
import { useObject, useSelected } from "../api/queries";
import { str } from "../kinds/columns";
import { kindByApiVersion } from "../kinds/registry";
import { objectHref } from "../state/url";
import { Status } from "../ui/Status";
import { Empty, ErrorState, Loading } from "../ui/states";
import type { ObjectTarget } from "./DetailPane";
import { podSelector } from "./describe";

/** Owners (from ownerReferences) and the pods the object selects. */
export function RelatedTab({ cluster, spec, selection }: ObjectTarget) {
  const object = useObject(cluster, spec.source, selection.namespace, selection.name);
  const selector = object.data && spec.namespaced ? podSelector(object.data) : "";
  const pods = useSelected(cluster, { plural: "pods" }, selection.namespace, selector);
  if (object.isPending) return <Loading />;
  if (object.isError) return <ErrorState error={object.error} />;
  const owners = object.data.metadata.ownerReferences ?? [];
  return (
    <div className="related">
      <section>
        <h3 className="section-title">Owners</h3>
        {owners.length === 0 ? (
          <p className="text-muted">No owner: this object is managed directly.</p>
        ) : (
          <ul className="link-list">
            {owners.map((owner) => {
              const def = kindByApiVersion(owner.apiVersion, owner.kind);
              const label = `${owner.kind}/${owner.name}`;
              return (
                <li key={owner.uid}>
                  {def ? (
                    <Link to={objectHref(cluster, { plural: def.plural }, { namespace: def.namespaced ? selection.namespace : "", name: owner.name })}>
                      {label}
                    </Link>
                  ) : (
                    label
                  )}
                  {owner.controller && <span className="badge">controller</span>}
                </li>
              );
            })}
          </ul>
        )}
      </section>
      {selector && (
        <section>
          <h3 className="section-title">
            Pods <code className="text-muted">{selector}</code>
          </h3>
          {pods.isPending && <Loading />}
          {pods.isError && <ErrorState error={pods.error} attempt={{ verb: "list", resource: "pods", namespace: selection.namespace }} />}
          {pods.data && pods.data.items.length === 0 && <Empty title="No pods match" />}
          {pods.data && pods.data.items.length > 0 && (
            <ul className="link-list">
              {pods.data.items.map((pod) => (
                <li key={pod.uid}>
                  <Link to={objectHref(cluster, { plural: "pods" }, { namespace: pod.namespace, name: pod.name })}>{pod.name}</Link>
                  <Status value={str(pod, "status")} />
                  <span className="text-muted">{str(pod, "ready")}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}
