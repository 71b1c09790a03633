import { describe, expect, it } from "vitest";
import { activeCount, auditQuery, exportUrl, filtersSearch, NO_FILTERS, parseFilters, toInstant } from "./filters";

describe("audit filters and the URL", () => {
  it("round-trips every filter through the page URL", () => {
    const filters = { ...NO_FILTERS, actor: "ada@example.com", verb: "apply", outcome: "denied", requestId: "r-1", from: "2024-05-01T10:00", q: "replicas" };
    const search = filtersSearch(filters);
    expect(search).toBe("?actor=ada%40example.com&verb=apply&outcome=denied&request_id=r-1&from=2024-05-01T10%3A00&q=replicas");
    expect(parseFilters(new URLSearchParams(search))).toEqual(filters);
  });

  it("keeps the selected row in the URL and leaves empty filters out", () => {
    expect(filtersSearch(NO_FILTERS)).toBe("");
    expect(filtersSearch(NO_FILTERS, 42)).toBe("?id=42");
    expect(parseFilters(new URLSearchParams("id=42"))).toEqual(NO_FILTERS);
  });

  it("sends times as instants, trims text and adds paging", () => {
    const from = "2024-05-01T10:00";
    const url = new URL(auditQuery({ ...NO_FILTERS, cluster: " prod ", from, q: "replicas" }, 100, "abc"), "http://x");
    expect(url.searchParams.get("text")).toBe("replicas");
    expect(url.pathname).toBe("/api/audit");
    expect(url.searchParams.get("cluster")).toBe("prod");
    expect(url.searchParams.get("from")).toBe(new Date(from).toISOString());
    expect(url.searchParams.get("limit")).toBe("100");
    expect(url.searchParams.get("cursor")).toBe("abc");
    expect(url.searchParams.has("to")).toBe(false);
  });

  it("exports with the same filters", () => {
    expect(exportUrl({ ...NO_FILTERS, verb: "delete" }, "csv")).toBe("/api/audit/export?verb=delete&format=csv");
    expect(exportUrl(NO_FILTERS, "jsonl", "self")).toBe("/api/audit/export?format=jsonl&scope=self");
  });

  it("ignores unreadable times and counts active filters", () => {
    expect(toInstant("not a time")).toBe("");
    expect(toInstant("")).toBe("");
    expect(activeCount({ ...NO_FILTERS, verb: "apply", q: "x" })).toBe(2);
  });
});
