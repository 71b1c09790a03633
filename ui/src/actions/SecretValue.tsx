import { useState } from "react";
import type { Gate } from "../access/canI";
import { ApiError, getText } from "../api/client";
import { secretKeyUrl } from "../api/paths";
import { GatedButton } from "../ui/GatedButton";

interface Props {
  cluster: string;
  namespace: string;
  name: string;
  dataKey: string;
  /** Bytes, shown while the value is hidden. */
  size: number;
  gate: Gate;
}

/** One Secret value, hidden until asked for; each reveal is fetched (never cached) and audited by the server. */
export function SecretValue({ cluster, namespace, name, dataKey, size, gate }: Props) {
  const [value, setValue] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const reveal = async () => {
    setBusy(true);
    setError("");
    try {
      setValue(await getText(secretKeyUrl(cluster, namespace, name, dataKey)));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  if (value !== null) {
    return (
      <span className="secret-value">
        <code className="secret-text">{value}</code>
        <button type="button" className="btn btn-small" onClick={() => void navigator.clipboard.writeText(value)}>
          Copy
        </button>
        <button type="button" className="btn btn-small" onClick={() => setValue(null)}>
          Hide
        </button>
      </span>
    );
  }
  return (
    <span className="secret-value">
      <span className="mono text-muted">•••••• {size} bytes</span>
      <GatedButton gate={gate} label="Reveal" icon="eye" busy={busy} onClick={() => void reveal()} />
      {error && <span className="text-bad">{error}</span>}
    </span>
  );
}
