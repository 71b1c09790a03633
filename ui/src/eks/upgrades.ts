/** `/api/clusters/{c}/eks/...`, as the server answers it, and the rules the Upgrades page draws with.
 * Insights keep AWS's spelling (upper-case statuses, camelCase fields); node groups and add-ons are
 * Periscope's condensed views, with the skew, AMI drift and add-on freshness worked out server-side. */

import type { Tone } from "../ui/format";

// -- insights ---------------------------------------------------------------------------------

export type InsightStatusValue = "PASSING" | "WARNING" | "ERROR" | "UNKNOWN";

export interface InsightStatus {
  status: InsightStatusValue | string;
  reason?: string;
}

export interface InsightSummary {
  id: string;
  name: string;
  category: "UPGRADE_READINESS" | "MISCONFIGURATION" | string;
  /** The version the insight is about: the one an upgrade would move to. */
  kubernetesVersion: string;
  lastRefreshTime?: string | null;
  lastTransitionTime?: string | null;
  description: string;
  insightStatus: InsightStatus;
}

export interface InsightsPage {
  cluster: string;
  /** The control plane's version now. */
  kubernetesVersion: string;
  items: InsightSummary[];
  counts: Partial<Record<InsightStatusValue, number>>;
  /** When Periscope asked AWS, which is not when AWS last evaluated the insights. */
  fetchedAt: string;
}

export interface ClientStat {
  userAgent?: string;
  numberOfRequestsLast30Days?: number;
  lastRequestTime?: string;
}

export interface DeprecationDetail {
  usage: string;
  replacedWith: string;
  stopServingVersion: string;
  startServingReplacementVersion: string;
  clientStats: ClientStat[];
}

export interface AddonCompatibility {
  name?: string;
  compatibleVersions?: string[];
}

export interface InsightResource {
  insightStatus: InsightStatus;
  kubernetesResourceUri?: string;
  arn?: string;
}

export interface Insight extends InsightSummary {
  recommendation: string;
  /** Label -> URL of AWS or Kubernetes documentation. */
  additionalInfo: Record<string, string>;
  resources: InsightResource[];
  categorySpecificSummary: {
    deprecationDetails: DeprecationDetail[];
    addonCompatibilityDetails: AddonCompatibility[];
  };
}

// -- node groups and add-ons ------------------------------------------------------------------

export interface HealthIssue {
  code: string;
  message: string;
  resourceIds: string[];
}

export interface AmiDrift {
  status: "current" | "drifted" | "unknown";
  /** The node group's release version (Amazon Linux) or image version (Bottlerocket). */
  current: string;
  /** What AWS recommends now for the AMI type and Kubernetes version. */
  latest: string;
  source: "ssm" | "ec2" | "";
  /** Why the status is unknown. */
  reason: string;
}

export interface NodegroupView {
  name: string;
  status: string;
  version: string;
  releaseVersion: string;
  amiType: string;
  capacityType: string;
  instanceTypes: string[];
  scaling: { minSize: number; maxSize: number; desiredSize: number };
  health: HealthIssue[];
  /** Kubelet minor versions behind the control plane; null when either version is unparsable. */
  minorVersionsBehind: number | null;
  launchTemplate?: string;
  ami: AmiDrift;
}

export interface NodegroupsPage {
  cluster: string;
  kubernetesVersion: string;
  items: NodegroupView[];
}

export interface AddonView {
  name: string;
  version: string;
  status: string;
  health: HealthIssue[];
  /** Newest version AWS publishes for this add-on on the cluster's Kubernetes version ("" when unknown). */
  latestVersion: string;
  /** null when the add-on catalog could not be read. */
  updateAvailable: boolean | null;
  serviceAccountRoleArn?: string;
  owner?: string;
  publisher?: string;
  configurationValues?: string;
}

export interface AddonsPage {
  cluster: string;
  kubernetesVersion: string;
  items: AddonView[];
  /** Why freshness is missing; the add-ons are still listed. */
  catalogError?: string;
}

// -- rules ------------------------------------------------------------------------------------

/** Worst first, so what blocks an upgrade is at the top of the list. */
export const STATUS_ORDER: readonly InsightStatusValue[] = ["ERROR", "WARNING", "UNKNOWN", "PASSING"];

function rank(status: string): number {
  const index = STATUS_ORDER.indexOf(status as InsightStatusValue);
  // A status AWS adds later is not known to be fine, so it sorts with UNKNOWN rather than last.
  return index === -1 ? STATUS_ORDER.indexOf("UNKNOWN") : index;
}

export function sortInsights<T extends InsightSummary>(items: readonly T[]): T[] {
  return [...items].sort(
    (a, b) =>
      rank(a.insightStatus.status) - rank(b.insightStatus.status) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  );
}

export function insightTone(status: string): Tone {
  if (status === "ERROR") return "bad";
  if (status === "WARNING") return "warn";
  if (status === "PASSING") return "ok";
  return "muted";
}

export function categoryText(category: string): string {
  if (category === "UPGRADE_READINESS") return "Upgrade readiness";
  if (category === "MISCONFIGURATION") return "Misconfiguration";
  return category || "—";
}

const COUNT_WORDS: Record<InsightStatusValue, [string, string]> = {
  ERROR: ["error", "errors"],
  WARNING: ["warning", "warnings"],
  UNKNOWN: ["unknown", "unknown"],
  PASSING: ["passing", "passing"],
};

export interface CountPart {
  status: InsightStatusValue;
  count: number;
  text: string;
}

/** The non-zero counts, worst first: "2 errors", "1 warning", "14 passing". */
export function countParts(counts: Partial<Record<InsightStatusValue, number>>): CountPart[] {
  return STATUS_ORDER.flatMap((status) => {
    const count = counts[status] ?? 0;
    if (count <= 0) return [];
    const [one, many] = COUNT_WORDS[status];
    return [{ status, count, text: `${count} ${count === 1 ? one : many}` }];
  });
}

export function countSummary(counts: Partial<Record<InsightStatusValue, number>>): string {
  const parts = countParts(counts);
  return parts.length ? parts.map((p) => p.text).join(" · ") : "no insights";
}

/** A badge: its words, its colour family as the stylesheet names them, and the longer story. */
export interface Badge {
  text: string;
  tone: "plain" | "quiet" | "warn" | "bad";
  title?: string;
}

export function badgeClass(tone: Badge["tone"]): string {
  return tone === "plain" ? "badge" : `badge badge-${tone}`;
}

/** Kubelet skew of a node group, or null when it runs the control plane's minor version. */
export function skewBadge(minorVersionsBehind: number | null | undefined): Badge | null {
  if (minorVersionsBehind === null || minorVersionsBehind === undefined || minorVersionsBehind <= 0) return null;
  const n = minorVersionsBehind;
  const versions = n === 1 ? "version" : "versions";
  if (n < 2) {
    return { text: `${n} minor behind`, tone: "quiet", title: `Kubelet runs ${n} minor ${versions} behind the control plane.` };
  }
  // One more control-plane hop would stretch the skew past what EKS lets an upgrade start with.
  return {
    text: `${n} minor behind`,
    tone: "warn",
    title: `Kubelet runs ${n} minor ${versions} behind the control plane: upgrade this node group before the next control-plane upgrade.`,
  };
}

const SOURCE_TEXT: Record<AmiDrift["source"], string> = {
  ssm: "AWS's recommended-release SSM parameter",
  ec2: "the newest public EKS image",
  "": "AWS",
};

/** Whether a node group runs the AMI release AWS recommends for its type and version. */
export function driftBadge(ami: AmiDrift): Badge {
  if (ami.status === "drifted") {
    return {
      text: ami.latest ? `update to ${ami.latest}` : "drifted",
      tone: "warn",
      title: `Runs ${ami.current || "an older release"}; ${SOURCE_TEXT[ami.source]} names ${ami.latest || "a newer one"}.`,
    };
  }
  if (ami.status === "current") {
    return { text: "current", tone: "plain", title: ami.latest ? `${ami.latest} is the release AWS recommends.` : undefined };
  }
  return { text: "unknown", tone: "quiet", title: ami.reason || "Periscope could not tell which release AWS recommends." };
}

/** Whether AWS publishes a newer build of an add-on for the cluster's Kubernetes version. */
export function addonBadge(addon: Pick<AddonView, "updateAvailable" | "latestVersion">): Badge {
  if (addon.updateAvailable === null) {
    return { text: "unknown", tone: "quiet", title: "The add-on catalog could not be read." };
  }
  if (addon.updateAvailable) {
    return { text: addon.latestVersion ? `update available → ${addon.latestVersion}` : "update available", tone: "warn" };
  }
  return { text: "latest", tone: "plain" };
}

/** EKS's own lifecycle states for node groups and add-ons, which Kubernetes' status words do not cover. */
export function eksStatusTone(status: string): Tone {
  if (status === "ACTIVE") return "ok";
  if (status === "DEGRADED" || status.endsWith("_FAILED")) return "bad";
  if (status === "CREATING" || status === "UPDATING" || status === "DELETING") return "warn";
  return "muted";
}

export function scalingText(scaling: NodegroupView["scaling"]): string {
  return `${scaling.desiredSize} / ${scaling.minSize} / ${scaling.maxSize}`;
}

export function resourceLabel(resource: InsightResource): string {
  return resource.kubernetesResourceUri || resource.arn || "—";
}

/** additionalInfo's links, keeping only http(s) ones: the URLs come from AWS, and a javascript: or
 * data: URL in an href would run in Periscope's origin. */
export function infoLinks(additionalInfo: Record<string, string> | undefined): { label: string; url: string }[] {
  return Object.entries(additionalInfo ?? {}).flatMap(([label, url]) => {
    try {
      const parsed = new URL(url);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? [{ label, url: parsed.href }] : [];
    } catch {
      return [];
    }
  });
}

/** What a reader can do about a failed section, beyond the server's own message. */
export function errorHint(code: string): string | null {
  if (code === "E_AWS_ACCESS_DENIED") {
    return "Periscope calls AWS with its own role, not yours: the operator must grant the IAM action named above to Periscope's role.";
  }
  if (code === "E_NOT_EKS") return "These views read the EKS API, so they exist only for clusters registered with the eks backend.";
  if (code === "E_FORBIDDEN") return "Periscope shows a cluster's EKS data only to callers allowed to list its nodes.";
  return null;
}

/** Whether the cluster navigation offers the Upgrades page. */
export function hasUpgrades(cluster: { backend: string }): boolean {
  return cluster.backend === "eks";
}
