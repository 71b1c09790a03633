import { describe, expect, it } from "vitest";
import { helmUrl } from "../api/paths";
import { beyondLabels, changeSummary, chartText, defaultDiff, filterReleases, helmTone, releaseHref, resourceHref, type ReleaseSummary } from "./types";

describe("helmUrl", () => {
  it("builds the list, a release, its history and its diff, encoding every segment", () => {
    expect(helmUrl("prod")).toBe("/api/clusters/prod/helm/releases");
    expect(helmUrl("prod", { namespace: "shop", name: "web" }, "", { revision: 3 })).toBe(
      "/api/clusters/prod/helm/releases/shop/web?revision=3",
    );
    expect(helmUrl("prod", { namespace: "shop", name: "web" }, "history", { max: 100 })).toBe(
      "/api/clusters/prod/helm/releases/shop/web/history?max=100",
    );
    expect(helmUrl("prod", { namespace: "a/b", name: "x?y" }, "diff", { from: 1, to: 2 })).toBe(
      "/api/clusters/prod/helm/releases/a%2Fb/x%3Fy/diff?from=1&to=2",
    );
  });
});

describe("releaseHref", () => {
  it("names the release page, encoded", () => {
    expect(releaseHref("prod", "ingress-nginx", "ingress-nginx")).toBe("/clusters/prod/helm/ingress-nginx/ingress-nginx");
    expect(releaseHref("prod", "a/b", "x?y")).toBe("/clusters/prod/helm/a%2Fb/x%3Fy");
  });
});

describe("helmTone", () => {
  it("colours Helm's states", () => {
    expect(helmTone("deployed")).toBe("ok");
    expect(helmTone("failed")).toBe("bad");
    expect(helmTone("pending-upgrade")).toBe("warn");
    expect(helmTone("uninstalling")).toBe("warn");
    expect(helmTone("superseded")).toBe("muted");
  });
});

describe("chartText", () => {
  it("prints the chart as helm list does", () => {
    expect(chartText({ chartName: "ingress-nginx", chartVersion: "4.11.3" })).toBe("ingress-nginx-4.11.3");
    expect(chartText({ chartName: "web" })).toBe("web");
    expect(chartText({})).toBe("—");
  });
});

describe("defaultDiff", () => {
  it("compares the shown revision with the newest older one kept", () => {
    expect(defaultDiff([12, 11, 9, 3], 11)).toEqual({ from: 9, to: 11 });
    expect(defaultDiff([3, 2, 1], 3)).toEqual({ from: 2, to: 3 });
    expect(defaultDiff([3, 2, 1], 1)).toBeNull();
  });
});

describe("changeSummary", () => {
  it("counts changes in a fixed order and leaves out what did not happen", () => {
    const object = { apiVersion: "v1", kind: "ConfigMap", name: "a" };
    expect(changeSummary([{ ...object, change: "added" }, { ...object, change: "modified" }, { ...object, change: "added" }])).toBe(
      "1 modified · 2 added",
    );
    expect(changeSummary([])).toBe("");
  });
});

describe("beyondLabels", () => {
  const object = { apiVersion: "apps/v1", kind: "Deployment", name: "web" };
  const label = { path: ".metadata.labels.helm.sh/chart", op: "change" as const, before: "web-1", after: "web-2" };
  it("sets apart objects whose only change is their labels or annotations", () => {
    expect(beyondLabels({ ...object, change: "modified", fields: [label] })).toBe(false);
    expect(beyondLabels({ ...object, change: "modified", fields: [label, { path: ".metadata.annotations", op: "add" }] })).toBe(false);
    expect(beyondLabels({ ...object, change: "modified", fields: [label, { path: ".spec.replicas", op: "change", before: 2, after: 3 }] })).toBe(true);
    expect(beyondLabels({ ...object, change: "modified", fields: [{ path: ".metadata.labelsExtra", op: "add" }] })).toBe(true);
    expect(beyondLabels({ ...object, change: "added" })).toBe(true);
  });
});

describe("resourceHref", () => {
  it("links kinds the console lists, in the scope they have", () => {
    expect(resourceHref("prod", { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" })).toBe(
      "/clusters/prod/deployments?ns=shop&sel=shop%2Fweb",
    );
    expect(resourceHref("prod", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", namespace: "", name: "r" })).toBe(
      "/clusters/prod/clusterroles?sel=r",
    );
    expect(resourceHref("prod", { apiVersion: "cert-manager.io/v1", kind: "Certificate", namespace: "shop", name: "c" })).toBeNull();
  });
});

describe("filterReleases", () => {
  const releases: ReleaseSummary[] = [
    { name: "ingress-nginx", namespace: "ingress-nginx", revision: 3, status: "deployed", chartName: "ingress-nginx", chartVersion: "4.11.3" },
    { name: "payments-api", namespace: "payments", revision: 2, status: "failed", chartName: "payments-api" },
  ];
  it("keeps releases matching every word, in any field", () => {
    expect(filterReleases(releases, "").map((r) => r.name)).toEqual(["ingress-nginx", "payments-api"]);
    expect(filterReleases(releases, "failed").map((r) => r.name)).toEqual(["payments-api"]);
    expect(filterReleases(releases, "NGINX 4.11").map((r) => r.name)).toEqual(["ingress-nginx"]);
    expect(filterReleases(releases, "nginx failed")).toEqual([]);
  });
});
