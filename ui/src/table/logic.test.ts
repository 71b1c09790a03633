import { describe, expect, it } from "vitest";
import type { Row } from "../api/types";
import { filterRows, minTableWidth, naturalCompare, nextSort, scrollToReveal, sortRows, visibleWindow, type Column } from "./logic";

function row(name: string, namespace: string, labels: Record<string, string> = {}, extra: Partial<Row> = {}): Row {
  return { name, namespace, uid: `${namespace}/${name}`, resourceVersion: "1", createdAt: "", labels, ...extra };
}

const rows = [
  row("web-2", "shop", { app: "web" }, { restarts: 3 }),
  row("web-10", "shop", { app: "web" }, { restarts: 0 }),
  row("db-0", "data", { app: "db" }, { restarts: 12 }),
  row("web-1", "blog", { app: "web" }, { restarts: 1 }),
];

const restarts: Column<Row> = { id: "restarts", header: "Restarts", width: "1fr", sortValue: (r) => Number(r.restarts) };
const name: Column<Row> = { id: "name", header: "Name", width: "1fr", sortValue: (r) => r.name };

describe("filterRows", () => {
  it("matches every term against name or namespace, case-insensitively", () => {
    expect(filterRows(rows, "WEB shop").map((r) => r.name)).toEqual(["web-2", "web-10"]);
  });

  it("matches key=value terms against labels exactly", () => {
    expect(filterRows(rows, "app=db").map((r) => r.name)).toEqual(["db-0"]);
    expect(filterRows(rows, "app=we")).toEqual([]);
  });

  it("returns everything for a blank query", () => {
    expect(filterRows(rows, "  ")).toHaveLength(4);
  });
});

describe("sortRows", () => {
  it("defaults to namespace then name, with natural number order", () => {
    expect(sortRows(rows, [name], null).map((r) => `${r.namespace}/${r.name}`)).toEqual([
      "blog/web-1",
      "data/db-0",
      "shop/web-2",
      "shop/web-10",
    ]);
  });

  it("sorts numerically by a column, both directions", () => {
    expect(sortRows(rows, [restarts], { column: "restarts", desc: false }).map((r) => r.restarts)).toEqual([0, 1, 3, 12]);
    expect(sortRows(rows, [restarts], { column: "restarts", desc: true }).map((r) => r.restarts)).toEqual([12, 3, 1, 0]);
  });

  it("does not reorder its input", () => {
    const input = rows.slice();
    sortRows(input, [restarts], { column: "restarts", desc: true });
    expect(input).toEqual(rows);
  });
});

describe("nextSort", () => {
  it("cycles ascending, descending, default", () => {
    const first = nextSort(null, "age");
    expect(first).toEqual({ column: "age", desc: false });
    const second = nextSort(first, "age");
    expect(second).toEqual({ column: "age", desc: true });
    expect(nextSort(second, "age")).toBeNull();
    expect(nextSort(second, "name")).toEqual({ column: "name", desc: false });
  });
});

describe("visibleWindow", () => {
  it("renders only the rows in view plus overscan, even for 10,000 rows", () => {
    const window = visibleWindow(28 * 5000, 560, 28, 10_000, 8);
    expect(window).toEqual({ start: 4992, end: 5029 });
    expect(window.end - window.start).toBeLessThan(50);
  });

  it("clamps at both ends", () => {
    expect(visibleWindow(0, 560, 28, 10, 8)).toEqual({ start: 0, end: 10 });
    expect(visibleWindow(-50, 560, 28, 100, 8)).toEqual({ start: 0, end: 29 });
    expect(visibleWindow(0, 560, 28, 0)).toEqual({ start: 0, end: 0 });
  });
});

describe("scrollToReveal", () => {
  it("scrolls just enough to show a row above or below the viewport", () => {
    expect(scrollToReveal(2, 280, 280, 28)).toBe(56);
    expect(scrollToReveal(30, 0, 280, 28)).toBe(30 * 28 + 28 - 280);
    expect(scrollToReveal(3, 0, 280, 28)).toBeNull();
  });
});

describe("minTableWidth", () => {
  it("adds up fixed widths and minmax minimums", () => {
    expect(minTableWidth([{ width: "80px" }, { width: "minmax(220px, 3fr)" }, { width: "1fr" }])).toBe(300);
  });
});

describe("naturalCompare", () => {
  it("orders numbers inside names by value", () => {
    expect(["web-10", "web-2", "web-1", "api", "web-1a", "web"].sort(naturalCompare)).toEqual([
      "api",
      "web",
      "web-1",
      "web-1a",
      "web-2",
      "web-10",
    ]);
    expect(naturalCompare("node-9.x", "node-10.x")).toBeLessThan(0);
    expect(naturalCompare("same", "same")).toBe(0);
  });
});
