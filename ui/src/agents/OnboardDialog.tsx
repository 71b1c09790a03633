/** "Onboard cluster": mint a bootstrap token for an agent cluster and show how to start its agent. */

import { useState } from "react";
import { send } from "../api/client";
import { Dialog } from "../ui/Dialog";
import { agentEnvironment, defaultTunnelUrl, type MintedToken } from "./onboarding";

export function OnboardDialog({ clusters, onClose }: { clusters: string[]; onClose: () => void }) {
  const [cluster, setCluster] = useState(clusters[0] ?? "");
  const [tunnelUrl, setTunnelUrl] = useState(defaultTunnelUrl(window.location.origin));
  const [minted, setMinted] = useState<MintedToken | null>(null);
  const [error, setError] = useState("");
  const mint = async () => {
    setError("");
    try {
      setMinted(await send<MintedToken>("POST", "/api/agents/tokens", { cluster }));
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    }
  };
  return (
    <Dialog
      title="Onboard a cluster through its agent"
      onClose={onClose}
      wide
      footer={
        minted ? (
          <button type="button" className="btn" onClick={onClose}>
            Done
          </button>
        ) : (
          <button type="button" className="btn btn-primary" onClick={() => void mint()} disabled={!cluster}>
            Mint a token
          </button>
        )
      }
    >
      <p>
        The cluster must already be in the registry with <code>backend: agent</code>. The token works once, for that
        cluster only, for 15 minutes.
      </p>
      <label className="field">
        Cluster
        <select className="input" value={cluster} onChange={(e) => setCluster(e.target.value)} disabled={minted !== null}>
          {clusters.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </label>
      <label className="field">
        Tunnel listener the agent dials
        <input className="input mono" value={tunnelUrl} onChange={(e) => setTunnelUrl(e.target.value)} />
      </label>
      {error && (
        <div className="hint hint-warn" role="alert">
          {error}
        </div>
      )}
      {minted && (
        <>
          <p>
            Start <code>periscope agent</code> in the cluster with these settings (valid until{" "}
            {new Date(minted.expiresAt).toLocaleTimeString()}):
          </p>
          <pre className="code-block" data-testid="agent-environment">
            {agentEnvironment(minted, window.location.origin, tunnelUrl)}
          </pre>
        </>
      )}
    </Dialog>
  );
}
