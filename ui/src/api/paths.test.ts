import { describe, expect, it } from "vitest";
import { API, actionUrl, execUrl, listUrl, objectUrl, openApiUrl, resourceUrl, watchUrl } from "./paths";

const nodepools = { plural: "nodepools", crd: { group: "karpenter.sh", version: "v1" } };

describe("API paths", () => {
  it("adds only the query parameters that are set", () => {
    expect(listUrl("prod", { plural: "pods" })).toBe("/api/clusters/prod/pods");
    expect(listUrl("prod", { plural: "pods" }, { namespace: "shop", limit: 500, continueToken: "abc" })).toBe(
      "/api/clusters/prod/pods?namespace=shop&limit=500&continue=abc",
    );
  });

  it("addresses namespaced, cluster-scoped and custom objects", () => {
    expect(objectUrl("prod", { plural: "pods" }, "shop", "web-0", "yaml")).toBe("/api/clusters/prod/pods/shop/web-0/yaml");
    expect(objectUrl("prod", { plural: "nodes" }, "", "n1")).toBe("/api/clusters/prod/nodes/n1");
    expect(objectUrl("prod", nodepools, "", "general", "events")).toBe(
      "/api/clusters/prod/customresources/karpenter.sh/v1/nodepools/_/general/events",
    );
  });

  it("encodes segments so names cannot change the path", () => {
    expect(objectUrl("prod", { plural: "configmaps" }, "a/b", "x?y")).toBe("/api/clusters/prod/configmaps/a%2Fb/x%3Fy");
  });

  it("builds the watch route", () => {
    expect(watchUrl("prod", { plural: "pods" }, "shop")).toBe("/api/clusters/prod/pods/watch?namespace=shop");
  });

  it("builds the editor's routes with core spelled out", () => {
    const ref = { cluster: "prod", group: "", version: "v1", resource: "configmaps", namespace: "shop", name: "cfg" };
    expect(resourceUrl(ref, "meta")).toBe("/api/clusters/prod/resources/core/v1/configmaps/shop/cfg/meta");
    expect(resourceUrl({ ...ref, group: "apps", resource: "deployments" }, "", { dryRun: "true" })).toBe(
      "/api/clusters/prod/resources/apps/v1/deployments/shop/cfg?dryRun=true",
    );
    expect(resourceUrl({ ...ref, resource: "nodes", namespace: "", name: "n1" }, "yaml")).toBe(
      "/api/clusters/prod/resources/core/v1/nodes/n1/yaml",
    );
  });

  it("builds action, exec and OpenAPI routes", () => {
    expect(actionUrl("prod", "nodes", "", "n1", "cordon")).toBe("/api/clusters/prod/nodes/n1/cordon");
    expect(actionUrl("prod", "deployments", "shop", "web", "scale")).toBe("/api/clusters/prod/deployments/shop/web/scale");
    expect(execUrl("prod", "shop", "web-0", { container: "app", command: undefined }, true)).toBe(
      "/api/clusters/prod/pods/shop/web-0/exec/check?container=app",
    );
    expect(openApiUrl("prod", "apis/apps/v1")).toBe("/api/clusters/prod/openapi/v3/apis/apps/v1");
  });

  it("builds the EKS upgrade routes, encoding the insight id", () => {
    expect(API.eksInsights("prod")).toBe("/api/clusters/prod/eks/upgrade-insights");
    expect(API.eksInsight("prod", "a1/b?c")).toBe("/api/clusters/prod/eks/upgrade-insights/a1%2Fb%3Fc");
    expect(API.eksNodegroups("prod")).toBe("/api/clusters/prod/eks/nodegroups");
    expect(API.eksAddons("prod")).toBe("/api/clusters/prod/eks/addons");
  });
});
