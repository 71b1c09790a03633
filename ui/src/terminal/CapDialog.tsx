import { useState } from "react";
import { send } from "../api/client";
import { API } from "../api/paths";
import { Dialog } from "../ui/Dialog";
import { formatAge } from "../ui/format";
import type { Refusal } from "./session";

/** Too many sessions: list the open ones so the user can close one and try again. */
export function CapDialog({ refusal, onRetry, onCancel }: { refusal: Refusal; onRetry: () => void; onCancel: () => void }) {
  const [closed, setClosed] = useState<string[]>([]);
  const [error, setError] = useState("");
  const now = Date.now();
  const closeOne = async (id: string) => {
    try {
      await send("DELETE", `${API.execSessions}/${encodeURIComponent(id)}`);
      setClosed((all) => [...all, id]);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const title = refusal.code === "E_CAP_CLUSTER" ? "This cluster has too many shells open" : "You have too many shells open";
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className="btn btn-accent" onClick={onRetry}>
            Try again
          </button>
        </>
      }
    >
      <p className="dialog-text">{refusal.message}</p>
      {refusal.activeSessions.length > 0 && (
        <table className="mini-table" data-testid="cap-sessions">
          <thead>
            <tr>
              <th>Pod</th>
              <th>Container</th>
              <th>Cluster</th>
              <th>Opened</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {refusal.activeSessions.map((s) => (
              <tr key={s.sessionId}>
                <td className="mono">
                  {s.namespace}/{s.pod}
                </td>
                <td>{s.container}</td>
                <td>{s.cluster}</td>
                <td>{formatAge(s.startedAt, now)} ago</td>
                <td className="right">
                  {closed.includes(s.sessionId) ? (
                    <span className="text-muted">closed</span>
                  ) : (
                    <button type="button" className="btn btn-small" onClick={() => void closeOne(s.sessionId)}>
                      Close
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {error && <p className="form-error">{error}</p>}
    </Dialog>
  );
}
