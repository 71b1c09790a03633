import { lazy, Suspense, useState } from "react";
import type { ObjectTarget } from "../detail/DetailPane";
import { Loading } from "../ui/states";

// Monaco and the YAML language service load only when someone edits.
const EditorPanel = lazy(() => import("./EditorPanel"));

/** The editor tab; a Secret's YAML carries its values, so opening it is an audited reveal the user confirms. */
export function EditTab(props: ObjectTarget & { liveVersion: string | undefined }) {
  const secret = props.spec.gvr.group === "" && props.spec.gvr.resource === "secrets";
  const [confirmed, setConfirmed] = useState(!secret);
  if (!confirmed) {
    return (
      <div className="state">
        <div className="state-title">Editing reveals this Secret’s values</div>
        <div className="state-body">The editable YAML includes every key in clear text; opening it is recorded in the audit log.</div>
        <button type="button" className="btn" onClick={() => setConfirmed(true)}>
          Reveal and edit
        </button>
      </div>
    );
  }
  return (
    <Suspense fallback={<Loading label="Loading the editor…" />}>
      <EditorPanel {...props} />
    </Suspense>
  );
}
