import type { Gate } from "../access/canI";
import { Icon, type IconName } from "./Icon";

interface Props {
  gate: Gate;
  label: string;
  icon: IconName;
  onClick: () => void;
  danger?: boolean;
  busy?: boolean;
}

/** A button RBAC may refuse: disabled when denied, with the reason (and where it is allowed) as its tooltip. */
export function GatedButton({ gate, label, icon, onClick, danger = false, busy = false }: Props) {
  const denied = gate.state === "denied";
  return (
    <span className={`gated${gate.reason ? " has-tip" : ""}`} data-tip={gate.reason || undefined} data-testid={`action-${label}`}>
      <button
        type="button"
        className={`btn btn-small${danger ? " btn-danger" : ""}`}
        disabled={denied || busy}
        aria-label={gate.reason ? `${label}: ${gate.reason}` : label}
        onClick={onClick}
      >
        {busy ? <span className="spinner spinner-small" aria-hidden="true" /> : <Icon name={icon} size={13} />}
        {label}
        {gate.state === "unknown" && !busy && <span className="gate-unknown" aria-hidden="true">?</span>}
      </button>
    </span>
  );
}
