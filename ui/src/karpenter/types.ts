/** `/api/clusters/{c}/karpenter`, as the server answers it (optional fields are omitted when empty). */

export interface NodePoolRejection {
  nodePool: string;
  reason: string;
  daemonsetOverhead?: Record<string, string>;
}

export interface NodePoolView {
  name: string;
  nodeClass?: string;
  weight?: number;
  consolidationPolicy?: string;
  consolidateAfter?: string;
  expireAfter?: string;
  limits?: Record<string, string>;
  usage?: Record<string, string>;
  nodes?: number;
  ready?: boolean;
  readyMessage?: string;
  /** $/hour of the pool's NodeClaims; absent without the controller's metrics. */
  costPerHour?: number | null;
  /** Share saved against the same nodes on demand (0.4 = 40 %). */
  spotSavings?: number | null;
}

export interface NodeClaimView {
  name: string;
  nodeName?: string;
  instanceType?: string;
  capacityType?: string;
  zone?: string;
  launched?: boolean;
  initialized?: boolean;
  ready?: boolean;
  drifted?: boolean;
  driftReason?: string;
  createdAt?: string;
}

export interface NodeClaimGroup {
  nodePool: string;
  claims: NodeClaimView[];
  drifted: number;
}

export interface PendingPod {
  namespace: string;
  name: string;
  pendingSince?: string;
  nodePools?: NodePoolRejection[] | null;
  message?: string;
  source?: string;
}

export interface KarpenterOverview {
  available: boolean;
  nodePools: NodePoolView[];
  nodeClaims: NodeClaimGroup[];
  pendingPods: PendingPod[];
  pendingTotal: number;
  pendingCap: number;
  metrics: { available: boolean; reason?: string };
}

export function dollarsPerHour(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `$${value.toFixed(value < 1 ? 3 : 2)}/h`;
}

export function percent(share: number | null | undefined): string {
  return share === null || share === undefined ? "—" : `${Math.round(share * 100)} %`;
}

/** "12 / 1000" for a resource a NodePool uses against its limit; the usage alone without a limit. */
export function usageText(pool: NodePoolView, resource: string): string {
  const used = pool.usage?.[resource];
  const limit = pool.limits?.[resource];
  if (!used && !limit) return "—";
  return limit ? `${used ?? "0"} / ${limit}` : (used ?? "—");
}

/** Whether a cluster's CRD catalog has Karpenter v1 NodePools (the sidebar entry shows only then). */
export function hasKarpenterV1(crds: readonly { group: string; plural: string; versions: readonly { name: string }[] }[]): boolean {
  return crds.some((c) => c.group === "karpenter.sh" && c.plural === "nodepools" && c.versions.some((v) => v.name === "v1"));
}
