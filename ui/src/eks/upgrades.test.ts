import { describe, expect, it } from "vitest";
import {
  addonBadge,
  badgeClass,
  categoryText,
  countParts,
  countSummary,
  driftBadge,
  eksStatusTone,
  errorHint,
  hasUpgrades,
  infoLinks,
  insightTone,
  resourceLabel,
  scalingText,
  skewBadge,
  sortInsights,
  type AmiDrift,
  type InsightSummary,
} from "./upgrades";

function insight(id: string, name: string, status: string): InsightSummary {
  return {
    id,
    name,
    category: "UPGRADE_READINESS",
    kubernetesVersion: "1.31",
    description: "",
    insightStatus: { status, reason: "" },
  };
}

describe("sortInsights", () => {
  it("puts errors first, then warnings, unknown and passing, each by name", () => {
    const items = [
      insight("1", "Kubelet version skew", "PASSING"),
      insight("2", "Deprecated APIs removed in 1.32", "WARNING"),
      insight("3", "Amazon Linux 2 compatibility", "UNKNOWN"),
      insight("4", "Cluster health issues", "ERROR"),
      insight("5", "Add-on version compatibility", "PASSING"),
      insight("6", "kube-proxy version skew", "ERROR"),
    ];
    expect(sortInsights(items).map((i) => i.id)).toEqual(["4", "6", "2", "3", "5", "1"]);
  });

  it("leaves its input alone and ranks a status it does not know with UNKNOWN", () => {
    const items = [insight("a", "b", "PASSING"), insight("b", "a", "SOMETHING_NEW"), insight("c", "c", "UNKNOWN")];
    const sorted = sortInsights(items);
    expect(sorted.map((i) => i.id)).toEqual(["b", "c", "a"]);
    expect(items.map((i) => i.id)).toEqual(["a", "b", "c"]);
  });

  it("breaks a name tie by id so the order is stable across refetches", () => {
    expect(sortInsights([insight("z", "same", "ERROR"), insight("y", "same", "ERROR")]).map((i) => i.id)).toEqual(["y", "z"]);
  });
});

describe("insight words and tones", () => {
  it("colours statuses by severity", () => {
    expect(insightTone("ERROR")).toBe("bad");
    expect(insightTone("WARNING")).toBe("warn");
    expect(insightTone("PASSING")).toBe("ok");
    expect(insightTone("UNKNOWN")).toBe("muted");
  });

  it("spells categories for people, keeping one it does not know", () => {
    expect(categoryText("UPGRADE_READINESS")).toBe("Upgrade readiness");
    expect(categoryText("MISCONFIGURATION")).toBe("Misconfiguration");
    expect(categoryText("NEW_CATEGORY")).toBe("NEW_CATEGORY");
    expect(categoryText("")).toBe("—");
  });
});

describe("count summary", () => {
  it("lists non-zero counts worst first, singular and plural", () => {
    const counts = { PASSING: 14, WARNING: 1, ERROR: 2, UNKNOWN: 0 };
    expect(countParts(counts).map((p) => p.status)).toEqual(["ERROR", "WARNING", "PASSING"]);
    expect(countSummary(counts)).toBe("2 errors · 1 warning · 14 passing");
    expect(countSummary({ ERROR: 1, UNKNOWN: 3 })).toBe("1 error · 3 unknown");
  });

  it("says so when there is nothing to count", () => {
    expect(countSummary({})).toBe("no insights");
    expect(countSummary({ PASSING: 0, ERROR: 0 })).toBe("no insights");
  });
});

describe("skewBadge", () => {
  it("shows nothing for a node group on the control plane's version, or an unknown skew", () => {
    expect(skewBadge(0)).toBeNull();
    expect(skewBadge(null)).toBeNull();
    expect(skewBadge(undefined)).toBeNull();
  });

  it("is quiet at one minor behind and warns from two, where the next control-plane upgrade is blocked", () => {
    expect(skewBadge(1)).toMatchObject({ text: "1 minor behind", tone: "quiet" });
    const two = skewBadge(2);
    expect(two).toMatchObject({ text: "2 minor behind", tone: "warn" });
    expect(two?.title).toMatch(/before the next control-plane upgrade/);
    expect(skewBadge(3)?.tone).toBe("warn");
  });
});

describe("driftBadge", () => {
  const base: AmiDrift = { status: "current", current: "1.30.4-20240917", latest: "1.30.4-20240917", source: "ssm", reason: "" };

  it("names the release to move to when the AMI drifted, and where that came from", () => {
    const badge = driftBadge({ ...base, status: "drifted", latest: "1.30.4-20241024" });
    expect(badge.text).toBe("update to 1.30.4-20241024");
    expect(badge.tone).toBe("warn");
    expect(badge.title).toContain("1.30.4-20240917");
    expect(badge.title).toContain("SSM");
    expect(driftBadge({ ...base, status: "drifted", latest: "x", source: "ec2" }).title).toContain("public EKS image");
  });

  it("puts the reason of an unknown drift in the tooltip", () => {
    const badge = driftBadge({ ...base, status: "unknown", latest: "", source: "", reason: "a launch template chooses the image" });
    expect(badge).toEqual({ text: "unknown", tone: "quiet", title: "a launch template chooses the image" });
    expect(driftBadge({ ...base, status: "unknown", reason: "" }).title).toBeTruthy();
  });

  it("stays plain when the node group runs the recommended release", () => {
    expect(driftBadge(base)).toMatchObject({ text: "current", tone: "plain" });
  });
});

describe("addonBadge", () => {
  it("shows the newer version, that it is current, or that nobody knows", () => {
    expect(addonBadge({ updateAvailable: true, latestVersion: "v1.19.0-eksbuild.1" })).toMatchObject({
      text: "update available → v1.19.0-eksbuild.1",
      tone: "warn",
    });
    expect(addonBadge({ updateAvailable: false, latestVersion: "v1.19.0-eksbuild.1" })).toMatchObject({ text: "latest", tone: "plain" });
    expect(addonBadge({ updateAvailable: null, latestVersion: "" })).toMatchObject({ text: "unknown", tone: "quiet" });
  });
});

describe("badgeClass", () => {
  it("maps tones onto the stylesheet's badge classes", () => {
    expect(badgeClass("plain")).toBe("badge");
    expect(badgeClass("warn")).toBe("badge badge-warn");
    expect(badgeClass("bad")).toBe("badge badge-bad");
    expect(badgeClass("quiet")).toBe("badge badge-quiet");
  });
});

describe("eksStatusTone", () => {
  it("reads EKS lifecycle states", () => {
    expect(eksStatusTone("ACTIVE")).toBe("ok");
    expect(eksStatusTone("DEGRADED")).toBe("bad");
    expect(eksStatusTone("CREATE_FAILED")).toBe("bad");
    expect(eksStatusTone("UPDATE_FAILED")).toBe("bad");
    expect(eksStatusTone("UPDATING")).toBe("warn");
    expect(eksStatusTone("")).toBe("muted");
  });
});

describe("small formatters", () => {
  it("writes scaling as desired / min / max", () => {
    expect(scalingText({ minSize: 1, maxSize: 10, desiredSize: 3 })).toBe("3 / 1 / 10");
  });

  it("names a resource by its Kubernetes URI, else its ARN", () => {
    const status = { status: "ERROR" };
    expect(resourceLabel({ insightStatus: status, kubernetesResourceUri: "/apis/batch/v1beta1/namespaces/a/cronjobs/b", arn: "" })).toBe(
      "/apis/batch/v1beta1/namespaces/a/cronjobs/b",
    );
    expect(resourceLabel({ insightStatus: status, arn: "arn:aws:eks:eu-west-1:123456789012:nodegroup/c/ng/x" })).toBe(
      "arn:aws:eks:eu-west-1:123456789012:nodegroup/c/ng/x",
    );
    expect(resourceLabel({ insightStatus: status })).toBe("—");
  });
});

describe("infoLinks", () => {
  it("keeps http(s) links and drops anything that could run script or does not parse", () => {
    const links = infoLinks({
      "Kubernetes deprecation guide": "https://kubernetes.io/docs/reference/using-api/deprecation-guide/",
      "EKS docs": "http://docs.aws.amazon.com/eks/",
      evil: "javascript:alert(1)",
      data: "data:text/html,<script>1</script>",
      broken: "not a url",
    });
    expect(links.map((l) => l.label)).toEqual(["Kubernetes deprecation guide", "EKS docs"]);
    expect(links[0]?.url).toBe("https://kubernetes.io/docs/reference/using-api/deprecation-guide/");
    expect(infoLinks(undefined)).toEqual([]);
  });
});

describe("errorHint", () => {
  it("tells the reader who can fix an AWS permission problem", () => {
    expect(errorHint("E_AWS_ACCESS_DENIED")).toMatch(/operator must grant the IAM action.*Periscope's role/);
    expect(errorHint("E_NOT_EKS")).toMatch(/eks backend/);
    expect(errorHint("E_FORBIDDEN")).toMatch(/list its nodes/);
    expect(errorHint("E_AWS_UNAVAILABLE")).toBeNull();
  });
});

describe("hasUpgrades", () => {
  it("offers the page for eks clusters only", () => {
    expect(hasUpgrades({ backend: "eks" })).toBe(true);
    expect(hasUpgrades({ backend: "kubeconfig" })).toBe(false);
    expect(hasUpgrades({ backend: "agent" })).toBe(false);
  });
});
