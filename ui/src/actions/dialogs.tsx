import { useState } from "react";
import { Dialog } from "../ui/Dialog";
import { labelPatch, labelProblem } from "./catalog";

interface Base {
  onCancel: () => void;
  busy: boolean;
}

function Footer({ onCancel, busy, label, disabled = false, danger = false }: Base & { label: string; disabled?: boolean; danger?: boolean }) {
  return (
    <>
      <button type="button" className="btn" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" form="action-form" className={`btn ${danger ? "btn-danger-solid" : "btn-accent"}`} disabled={disabled || busy}>
        {busy && <span className="spinner spinner-small" aria-hidden="true" />}
        {label}
      </button>
    </>
  );
}

export function ScaleDialog({ name, current, onScale, ...base }: Base & { name: string; current: number; onScale: (replicas: number) => void }) {
  const [value, setValue] = useState(String(current));
  const replicas = Number(value);
  const valid = value.trim() !== "" && Number.isInteger(replicas) && replicas >= 0;
  return (
    <Dialog title={`Scale ${name}`} onClose={base.onCancel} footer={<Footer {...base} label="Scale" disabled={!valid || replicas === current} />}>
      <form
        id="action-form"
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) onScale(replicas);
        }}
      >
        <label htmlFor="replicas">Replicas</label>
        <input id="replicas" className="input input-number" type="number" min={0} value={value} autoFocus onChange={(e) => setValue(e.target.value)} />
        <span className="text-muted">currently {current}</span>
      </form>
    </Dialog>
  );
}

interface ConfirmProps extends Base {
  title: string;
  message: string;
  label: string;
  /** Deleting asks the user to type this name first. */
  typeToConfirm?: string;
  onConfirm: () => void;
}

export function ConfirmDialog({ title, message, label, typeToConfirm, onConfirm, ...base }: ConfirmProps) {
  const [typed, setTyped] = useState("");
  const danger = typeToConfirm !== undefined;
  return (
    <Dialog
      title={title}
      onClose={base.onCancel}
      footer={<Footer {...base} label={label} danger={danger} disabled={danger && typed !== typeToConfirm} />}
    >
      <form
        id="action-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!danger || typed === typeToConfirm) onConfirm();
        }}
      >
        <p className="dialog-text">{message}</p>
        {danger && (
          <label className="form-stack">
            <span>
              Type <code>{typeToConfirm}</code> to confirm
            </span>
            <input className="input" value={typed} autoFocus onChange={(e) => setTyped(e.target.value)} aria-label="Name to confirm" />
          </label>
        )}
      </form>
    </Dialog>
  );
}

type Pair = { key: string; value: string };

export function LabelsDialog({ name, labels, onSave, ...base }: Base & { name: string; labels: Record<string, string>; onSave: (patch: Record<string, string | null>) => void }) {
  const [rows, setRows] = useState<Pair[]>(() => Object.entries(labels).map(([key, value]) => ({ key, value })));
  const filled = rows.filter((r) => r.key.trim() !== "");
  const after = Object.fromEntries(filled.map((r) => [r.key.trim(), r.value.trim()]));
  const problems = filled.map((r) => labelProblem(r.key.trim(), r.value.trim())).filter(Boolean);
  const duplicate = Object.keys(after).length !== filled.length;
  const patch = labelPatch(labels, after);
  const set = (i: number, change: Partial<Pair>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  return (
    <Dialog
      title={`Labels of ${name}`}
      onClose={base.onCancel}
      wide
      footer={<Footer {...base} label="Save labels" disabled={problems.length > 0 || duplicate || Object.keys(patch).length === 0} />}
    >
      <form
        id="action-form"
        className="label-editor"
        onSubmit={(e) => {
          e.preventDefault();
          onSave(patch);
        }}
      >
        {rows.map((row, i) => (
          <div className="label-row" key={i}>
            <input className="input mono" placeholder="key" aria-label="Label key" value={row.key} onChange={(e) => set(i, { key: e.target.value })} />
            <span className="text-muted">=</span>
            <input className="input mono" placeholder="value" aria-label="Label value" value={row.value} onChange={(e) => set(i, { value: e.target.value })} />
            <button type="button" className="icon-btn" aria-label={`Remove ${row.key}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
              ×
            </button>
          </div>
        ))}
        <button type="button" className="btn btn-small" onClick={() => setRows([...rows, { key: "", value: "" }])}>
          Add label
        </button>
        {(problems[0] || duplicate) && <p className="form-error">{problems[0] || "Each key may appear once."}</p>}
      </form>
    </Dialog>
  );
}
