/** Onboarding an agent cluster: the token the console mints, and the settings the agent starts with. */

export interface MintedToken {
  token: string;
  cluster: string;
  expiresAt: string;
}

/** The agent's environment for a freshly minted token. The tunnel listener usually has its own name or
 * port (`PERISCOPE_AGENT_TUNNEL_SANS`, 8443), so it starts as a guess the operator edits. */
export function agentEnvironment(minted: MintedToken, consoleOrigin: string, tunnelUrl: string): string {
  return [
    `PERISCOPE_SERVER_URL=${tunnelUrl}`,
    `PERISCOPE_REGISTRATION_URL=${consoleOrigin}`,
    `PERISCOPE_CLUSTER_NAME=${minted.cluster}`,
    `PERISCOPE_REGISTRATION_TOKEN=${minted.token}`,
  ].join("\n");
}

/** wss://<console host>:8443, the listener's default address. */
export function defaultTunnelUrl(consoleOrigin: string): string {
  const url = new URL(consoleOrigin);
  return `wss://${url.hostname}:8443`;
}
