import { ObjectTree } from "../detail/ObjectTree";
import { Icon } from "../ui/Icon";
import { ErrorState, Loading } from "../ui/states";
import { Status } from "../ui/Status";
import { useAuditRecord } from "./useAudit";

const TONE = { success: "ok", failure: "bad", denied: "warn" } as const;

/** One audit row in full: who, as whom, what, where, and the verb's details. */
export function AuditDetail({ id, onClose }: { id: number; onClose: () => void }) {
  const record = useAuditRecord(id);
  return (
    <aside className="detail audit-detail" aria-label={`Audit event ${id}`} data-testid="audit-detail">
      <header className="detail-head">
        <div className="detail-title">
          <span className="kind-chip">Audit</span>
          <span className="detail-name">#{id}</span>
        </div>
        <button type="button" className="icon-btn" onClick={onClose} aria-label="Close detail">
          <Icon name="close" />
        </button>
      </header>
      <div className="detail-body">
        {record.isPending && <Loading />}
        {record.isError && <ErrorState error={record.error} />}
        {record.data && (
          <div className="describe">
            <dl className="facts">
              <dt>Time</dt>
              <dd>{new Date(record.data.timestamp).toLocaleString()}</dd>
              <dt>Verb</dt>
              <dd className="mono">{record.data.verb}</dd>
              <dt>Outcome</dt>
              <dd>
                <Status value={record.data.outcome} tone={TONE[record.data.outcome]} />
              </dd>
              <dt>Actor</dt>
              <dd>
                {record.data.actor.email || record.data.actor.sub}
                {record.data.actor.groups.length > 0 && <div className="text-muted">{record.data.actor.groups.join(", ")}</div>}
              </dd>
              <dt>As</dt>
              <dd className="mono">
                {record.data.impersonated.user || "bridge identity"}
                {record.data.impersonated.groups.length > 0 && ` (${record.data.impersonated.groups.join(", ")})`}
              </dd>
              <dt>Cluster</dt>
              <dd>{record.data.cluster || "—"}</dd>
              <dt>Resource</dt>
              <dd className="mono">{resourceText(record.data.resource) || "—"}</dd>
              <dt>Route</dt>
              <dd className="mono">{record.data.route}</dd>
              <dt>Request</dt>
              <dd className="mono">{record.data.requestId}</dd>
              {record.data.reason && (
                <>
                  <dt>Reason</dt>
                  <dd>{record.data.reason}</dd>
                </>
              )}
            </dl>
            {Object.keys(record.data.extra).length > 0 && (
              <section>
                <h3 className="section-title">Details</h3>
                <ObjectTree value={record.data.extra} />
              </section>
            )}
          </div>
        )}
      </div>
    </aside>
  );
}

export function resourceText(r: { group: string; resource: string; namespace: string; name: string }): string {
  const kind = r.group ? `${r.resource}.${r.group}` : r.resource;
  const where = [r.namespace, r.name].filter(Boolean).join("/");
  return [kind, where].filter(Boolean).join(" ");
}
