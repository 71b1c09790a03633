import type { ReactNode } from "react";
import { useAccess } from "../access/useAccess";
import { SecretValue } from "../actions/SecretValue";
import { useObject } from "../api/queries";
import type { KubeObject } from "../api/types";
import { formatAge, formatTimestamp } from "../ui/format";
import { Status } from "../ui/Status";
import { ErrorState, Loading } from "../ui/states";
import { useNow } from "../ui/useNow";
import { conditions, conditionTone, containers, facts, remainder } from "./describe";
import type { ObjectTarget } from "./DetailPane";
import { ObjectTree } from "./ObjectTree";

/** A kubectl-describe-like view built from the object itself, the same for every kind. */
export function DescribeTab({ cluster, spec, selection }: ObjectTarget) {
  const object = useObject(cluster, spec.source, selection.namespace, selection.name);
  const now = useNow();
  if (object.isPending) return <Loading />;
  if (object.isError) {
    return <ErrorState error={object.error} attempt={{ verb: "get", resource: spec.source.plural, namespace: selection.namespace }} />;
  }
  const obj = object.data;
  const rest = remainder(obj);
  return (
    <div className="describe" data-testid="describe">
      <dl className="facts">
        <dt>Created</dt>
        <dd title={formatTimestamp(obj.metadata.creationTimestamp)}>
          {formatAge(obj.metadata.creationTimestamp, now)} ago · {formatTimestamp(obj.metadata.creationTimestamp)}
        </dd>
        {facts(obj).map(([label, value]) => (
          <FactRow key={label} label={label} value={value} />
        ))}
        <dt>UID</dt>
        <dd className="mono">{obj.metadata.uid}</dd>
      </dl>
      <KeyValues title="Labels" values={obj.metadata.labels} chips />
      <KeyValues title="Annotations" values={obj.metadata.annotations} />
      <Containers object={obj} />
      <Conditions object={obj} now={now} />
      <DataKeys object={obj} cluster={cluster} />
      {rest.spec !== undefined && <TreeSection title="Spec" value={rest.spec} />}
      {rest.status !== undefined && <TreeSection title="Status" value={rest.status} />}
    </div>
  );
}

function FactRow({ label, value }: { label: string; value: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{label === "Phase" ? <Status value={value} /> : value}</dd>
    </>
  );
}

function KeyValues({ title, values, chips = false }: { title: string; values?: Record<string, string>; chips?: boolean }) {
  const entries = Object.entries(values ?? {});
  if (entries.length === 0) return null;
  return (
    <section>
      <h3 className="section-title">{title}</h3>
      {chips ? (
        <div className="chips">
          {entries.map(([key, value]) => (
            <span className="chip" key={key} title={`${key}=${value}`}>
              {key}={value}
            </span>
          ))}
        </div>
      ) : (
        <dl className="facts facts-wide">
          {entries.map(([key, value]) => (
            <KeyValue key={key} name={key} value={value} />
          ))}
        </dl>
      )}
    </section>
  );
}

function KeyValue({ name, value }: { name: string; value: string }) {
  return (
    <>
      <dt className="mono">{name}</dt>
      <dd className="mono clamp" title={value}>
        {value}
      </dd>
    </>
  );
}

function Containers({ object }: { object: KubeObject }) {
  const rows = containers(object);
  if (rows.length === 0) return null;
  return (
    <section>
      <h3 className="section-title">Containers</h3>
      {rows.map((c) => (
        <div className="container-card" key={`${c.init}-${c.name}`}>
          <div className="container-head">
            <strong>{c.name}</strong>
            {c.init && <span className="badge">init</span>}
            {c.state && <Status value={c.state} tone={c.ready ? "ok" : undefined} />}
            {c.restarts !== undefined && <span className={c.restarts > 0 ? "text-warn" : "text-muted"}>{c.restarts} restarts</span>}
          </div>
          <dl className="facts">
            <dt>Image</dt>
            <dd className="mono">{c.image}</dd>
            {c.ports.length > 0 && (
              <>
                <dt>Ports</dt>
                <dd className="mono">{c.ports.join(", ")}</dd>
              </>
            )}
            <dt>Resources</dt>
            <dd className="mono">{resources(c.requests, c.limits)}</dd>
          </dl>
        </div>
      ))}
    </section>
  );
}

function resources(requests?: Record<string, string>, limits?: Record<string, string>): string {
  const part = (label: string, values?: Record<string, string>) =>
    values && Object.keys(values).length ? `${label} ${Object.entries(values).map(([k, v]) => `${k} ${v}`).join(", ")}` : "";
  return [part("requests", requests), part("limits", limits)].filter(Boolean).join(" · ") || "none set";
}

function Conditions({ object, now }: { object: KubeObject; now: number }) {
  const rows = conditions(object);
  if (rows.length === 0) return null;
  return (
    <section>
      <h3 className="section-title">Conditions</h3>
      <table className="mini-table">
        <thead>
          <tr>
            <th>Type</th>
            <th>Status</th>
            <th>Reason</th>
            <th className="right">Since</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.type} title={c.message}>
              <td>{c.type}</td>
              <td>
                <Status value={c.status} tone={conditionTone(c)} />
              </td>
              <td className="clamp">{c.reason ?? ""}</td>
              <td className="right" title={formatTimestamp(c.lastTransitionTime)}>
                {formatAge(c.lastTransitionTime, now)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Config map values are shown; a Secret's are revealed one key at a time (the server never sends them here). */
function DataKeys({ object, cluster }: { object: KubeObject; cluster: string }) {
  // A Secret comes with its keys and sizes only (`keys`), never its data.
  if (object.kind === "Secret") {
    const keys = Array.isArray(object.keys) ? (object.keys as SecretKey[]) : [];
    return keys.length > 0 ? <SecretKeys object={object} cluster={cluster} keys={keys} /> : null;
  }
  const data = object.data as Record<string, string> | undefined;
  if (!data || typeof data !== "object") return null;
  return (
    <section>
      <h3 className="section-title">Data</h3>
      <dl className="facts facts-wide">
        {Object.entries(data).map(([key, value]) => (
          <KeyValue key={key} name={key} value={String(value)} />
        ))}
      </dl>
    </section>
  );
}

interface SecretKey {
  name: string;
  size: number;
}

function SecretKeys({ object, cluster, keys }: { object: KubeObject; cluster: string; keys: SecretKey[] }) {
  const namespace = object.metadata.namespace ?? "";
  const name = object.metadata.name;
  const [gate] = useAccess(cluster, [{ verb: "get", group: "", resource: "secrets", namespace, name }]);
  return (
    <section>
      <h3 className="section-title">Data</h3>
      <dl className="facts facts-wide">
        {keys.map((key) => (
          <KeyValueNode key={key.name} name={key.name}>
            {gate && <SecretValue cluster={cluster} namespace={namespace} name={name} dataKey={key.name} size={key.size} gate={gate} />}
          </KeyValueNode>
        ))}
      </dl>
    </section>
  );
}

function KeyValueNode({ name, children }: { name: string; children: ReactNode }) {
  return (
    <>
      <dt className="mono">{name}</dt>
      <dd>{children}</dd>
    </>
  );
}

function TreeSection({ title, value }: { title: string; value: unknown }) {
  return (
    <section>
      <details open={title === "Spec"}>
        <summary className="section-title">{title}</summary>
        <ObjectTree value={value} />
      </details>
    </section>
  );
}
