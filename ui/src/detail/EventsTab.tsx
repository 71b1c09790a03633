import { useObjectEvents } from "../api/queries";
import type { Row } from "../api/types";
import { str } from "../kinds/columns";
import { formatAge, formatTimestamp } from "../ui/format";
import { Status } from "../ui/Status";
import { Empty, ErrorState, Loading } from "../ui/states";
import { useNow } from "../ui/useNow";
import type { ObjectTarget } from "./DetailPane";

/** Events about the object, newest first (the server sorts them). */
export function EventsTab({ cluster, spec, selection }: ObjectTarget) {
  const events = useObjectEvents(cluster, spec.source, selection.namespace, selection.name);
  const now = useNow();
  if (events.isPending) return <Loading label="Loading events…" />;
  if (events.isError) {
    return <ErrorState error={events.error} attempt={{ verb: "list", resource: "events", namespace: selection.namespace }} />;
  }
  if (events.data.items.length === 0) return <Empty title="No events">Kubernetes keeps events for about an hour.</Empty>;
  return (
    <ul className="event-list">
      {events.data.items.map((event: Row) => (
        <li key={event.uid || event.name} className="event">
          <div className="event-head">
            <Status value={str(event, "type")} tone={event.type === "Warning" ? "warn" : "muted"} />
            <strong>{str(event, "reason")}</strong>
            {Number(event.count) > 1 && <span className="text-muted">×{str(event, "count")}</span>}
            <span className="event-age" title={formatTimestamp(str(event, "lastTimestamp"))}>
              {formatAge(str(event, "lastTimestamp") || event.createdAt, now)} ago
            </span>
          </div>
          <div className="event-message">{str(event, "message")}</div>
          {str(event, "source") && <div className="text-muted event-source">{str(event, "source")}</div>}
        </li>
      ))}
    </ul>
  );
}
