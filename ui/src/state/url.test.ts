import { describe, expect, it } from "vitest";
import { listPath, listSearch, objectHref, parseListState } from "./url";

describe("list URL state", () => {
  it("round-trips namespace, filter, sort, selection and tab", () => {
    const state = {
      namespace: "shop",
      filter: "web app=web",
      sort: { column: "restarts", desc: true },
      selection: { namespace: "shop", name: "web-0" },
      tab: "yaml" as const,
    };
    const search = listSearch(state);
    expect(search).toBe("?ns=shop&q=web+app%3Dweb&sort=-restarts&sel=shop%2Fweb-0&tab=yaml");
    expect(parseListState(new URLSearchParams(search))).toEqual(state);
  });

  it("leaves defaults out and reads them back", () => {
    expect(listSearch({ namespace: "", filter: "", sort: null, selection: null, tab: "describe" })).toBe("");
    expect(parseListState(new URLSearchParams(""))).toEqual({
      namespace: "",
      filter: "",
      sort: null,
      selection: null,
      tab: "describe",
    });
  });

  it("selects cluster-scoped objects by name alone", () => {
    expect(parseListState(new URLSearchParams("sel=ip-10-0-1-5")).selection).toEqual({ namespace: "", name: "ip-10-0-1-5" });
  });

  it("ignores unknown tabs and empty names", () => {
    const state = parseListState(new URLSearchParams("sel=shop/&tab=bogus"));
    expect(state.selection).toBeNull();
    expect(state.tab).toBe("describe");
  });

  it("builds paths for built-in kinds and custom resources", () => {
    expect(listPath("prod", { plural: "pods" })).toBe("/clusters/prod/pods");
    expect(listPath("prod", { plural: "nodepools", crd: { group: "karpenter.sh", version: "v1" } })).toBe(
      "/clusters/prod/customresources/karpenter.sh/v1/nodepools",
    );
    expect(objectHref("prod", { plural: "pods" }, { namespace: "shop", name: "web-0" }, "yaml")).toBe(
      "/clusters/prod/pods?ns=shop&sel=shop%2Fweb-0&tab=yaml",
    );
  });
});
