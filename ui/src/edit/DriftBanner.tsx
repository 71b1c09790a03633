import type { Change } from "../api/types";
import { formatAge } from "../ui/format";
import { useNow } from "../ui/useNow";
import type { Writer } from "./drift";

interface Props {
  changes: readonly Change[];
  writers: readonly Writer[];
  dirty: boolean;
  onReload: () => void;
  onDismiss: () => void;
}

/** The object changed on the cluster while the editor was open: what, and who wrote it. */
export function DriftBanner({ changes, writers, dirty, onReload, onDismiss }: Props) {
  const now = useNow(5_000);
  const shown = changes.slice(0, 4);
  return (
    <div className="drift" role="alert" data-testid="drift-banner">
      <div className="drift-head">
        <strong>Changed on the cluster while you were editing</strong>
        {writers.length > 0 && (
          <span>
            by{" "}
            {writers.map((w, i) => (
              <span key={w.manager}>
                {i > 0 && ", "}
                <span className={`owner-chip own-${w.class}`}>{w.manager}</span>
                {w.time && <span className="text-muted"> {formatAge(w.time, now)} ago</span>}
              </span>
            ))}
          </span>
        )}
        <span className="drift-actions">
          <button type="button" className="btn btn-small" onClick={onReload} title={dirty ? "Your edits are replaced by the live object" : undefined}>
            {dirty ? "Discard mine, load theirs" : "Load the new version"}
          </button>
          <button type="button" className="btn btn-small" onClick={onDismiss}>
            Keep editing
          </button>
        </span>
      </div>
      <ul className="drift-changes">
        {shown.map((c) => (
          <li key={c.path}>
            <code>{c.path}</code> {c.op === "change" ? `${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}` : c.op === "add" ? "added" : "removed"}
          </li>
        ))}
        {changes.length > shown.length && <li className="text-muted">and {changes.length - shown.length} more</li>}
      </ul>
    </div>
  );
}
