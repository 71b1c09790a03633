/** Under the editor: the dry run's diff and revert warnings, the per-field conflict choices, or the outcome. */

import type { ApplyResult, Change, FieldConflict, ManagedFieldsEntry } from "../api/types";
import { Icon } from "../ui/Icon";
import { consequence, type Choice } from "./conflicts";
import { ownersOf } from "./ownership";

export type Review =
  | { kind: "preview"; result: ApplyResult; force: boolean }
  | { kind: "conflicts"; conflicts: FieldConflict[]; choices: Record<string, Choice> }
  | { kind: "applied"; result: ApplyResult };

function show(value: unknown): string {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

/** One changed field: its path, before and after, and the managers that own it. */
export function ChangeRow({ change, owners }: { change: Change; owners: readonly ManagedFieldsEntry[] }) {
  const by = ownersOf(change.path, owners).filter((o) => o.class !== "periscope");
  return (
    <li className={`change change-${change.op}`}>
      <span className="change-op">{change.op === "add" ? "+" : change.op === "remove" ? "−" : "~"}</span>
      <code className="change-path">{change.path}</code>
      <span className="change-values mono">
        {change.op !== "add" && <del>{show(change.before)}</del>}
        {change.op === "change" && <span className="text-muted"> → </span>}
        {change.op !== "remove" && <ins>{show(change.after)}</ins>}
      </span>
      {by.map((o) => (
        <span key={o.manager} className={`owner-chip own-${o.class}`} title={`${o.manager} owns this field`}>
          {o.manager}
        </span>
      ))}
    </li>
  );
}

interface Props {
  review: Review;
  owners: readonly ManagedFieldsEntry[];
  busy: boolean;
  onApply: (force: boolean) => void;
  onChoose: (field: string, choice: Choice) => void;
  onResolve: () => void;
  onClose: () => void;
}

export function ReviewPanel({ review, owners, busy, onApply, onChoose, onResolve, onClose }: Props) {
  return (
    <section className="review" aria-label="Review" data-testid="review">
      <header className="review-head">
        <strong>{review.kind === "preview" ? "Dry run: what the server would change" : review.kind === "conflicts" ? "Conflicts with other field managers" : "Applied"}</strong>
        <button type="button" className="icon-btn" onClick={onClose} aria-label="Close review">
          <Icon name="close" size={13} />
        </button>
      </header>
      {review.kind === "conflicts" ? (
        <Conflicts review={review} busy={busy} onChoose={onChoose} onResolve={onResolve} />
      ) : (
        <>
          {review.result.warnings.map((w) => (
            <div key={w.manager} className="review-warning" role="alert">
              <Icon name="alert" size={14} /> <span>{w.message}</span>
            </div>
          ))}
          {review.result.diff.length === 0 ? (
            <p className="text-muted review-empty">No changes: the live object already matches your YAML.</p>
          ) : (
            <ul className="changes">
              {review.result.diff.map((c) => (
                <ChangeRow key={c.path} change={c} owners={owners} />
              ))}
            </ul>
          )}
          {review.kind === "preview" && review.result.diff.length > 0 && (
            <div className="review-foot">
              {review.force && <span className="text-warn">Applies with force: you take these fields over from their managers.</span>}
              <button type="button" className="btn btn-accent" disabled={busy} onClick={() => onApply(review.force)}>
                {busy && <span className="spinner spinner-small" aria-hidden="true" />}
                Apply {review.result.diff.length} change{review.result.diff.length === 1 ? "" : "s"}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function Conflicts({
  review,
  busy,
  onChoose,
  onResolve,
}: {
  review: Extract<Review, { kind: "conflicts" }>;
  busy: boolean;
  onChoose: (field: string, choice: Choice) => void;
  onResolve: () => void;
}) {
  return (
    <>
      <p className="review-note">
        These fields are owned by other managers. Keep yours to take the field over (a forced apply), or take theirs to leave it
        to them.
      </p>
      <table className="mini-table conflicts">
        <thead>
          <tr>
            <th>Field</th>
            <th>Owner</th>
            <th>Keep</th>
          </tr>
        </thead>
        <tbody>
          {review.conflicts.map((c) => {
            const choice = review.choices[c.field] ?? "theirs";
            return (
              <tr key={c.field}>
                <td>
                  <code>{c.field}</code>
                  <div className="text-muted conflict-note">{consequence(c, choice)}</div>
                </td>
                <td>
                  <span className={`owner-chip own-${c.class}`}>{c.manager || "unknown"}</span>
                </td>
                <td className="conflict-choice">
                  {(["mine", "theirs"] as const).map((option) => (
                    <label key={option}>
                      <input type="radio" name={c.field} checked={choice === option} onChange={() => onChoose(c.field, option)} />
                      {option === "mine" ? "mine" : "theirs"}
                    </label>
                  ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="review-foot">
        <button type="button" className="btn btn-accent" disabled={busy} onClick={onResolve}>
          Preview with these choices
        </button>
      </div>
    </>
  );
}
