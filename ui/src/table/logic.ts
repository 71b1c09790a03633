/** Table logic without React: filtering, sorting and the window of rows to render. */

import type { ReactNode } from "react";

export interface Column<R> {
  id: string;
  header: string;
  /** A CSS grid track, e.g. "minmax(200px, 2fr)" or "80px". */
  width: string;
  align?: "right";
  /** Dropped when space is short (the detail pane is open). */
  optional?: boolean;
  sortValue: (row: R) => string | number;
  /** Defaults to the sort value as text. */
  render?: (row: R, now: number) => ReactNode;
}

/** The narrowest a row can be: the sum of each column's minimum ("80px" or "minmax(120px, 2fr)"). */
export function minTableWidth(columns: readonly Pick<Column<unknown>, "width">[]): number {
  return columns.reduce((sum, column) => sum + (Number(/(\d+)px/.exec(column.width)?.[1]) || 0), 0);
}

export interface SortSpec {
  column: string;
  desc: boolean;
}

/** Rows whose name, namespace or labels match every whitespace-separated term of ``query``.
 *
 * A term with "=" matches a label exactly (``app=web``); any other term is a case-insensitive
 * substring of the name or namespace, so "shop web" finds web pods in the shop namespace.
 */
export function filterRows<R extends { name: string; namespace: string; labels: Record<string, string> }>(
  rows: readonly R[],
  query: string,
): R[] {
  const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return rows.slice();
  return rows.filter((row) =>
    terms.every((term) => {
      const eq = term.indexOf("=");
      if (eq > 0) {
        const key = term.slice(0, eq);
        const value = term.slice(eq + 1);
        return Object.entries(row.labels).some(([k, v]) => k.toLowerCase() === key && v.toLowerCase() === value);
      }
      return row.name.toLowerCase().includes(term) || row.namespace.toLowerCase().includes(term);
    }),
  );
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/** Natural order ("web-2" before "web-10") at the speed of a plain comparison: only the first difference is
 * examined, so re-sorting 10,000 live rows stays well inside a frame budget (Intl.Collator is 2-3x slower). */
export function naturalCompare(a: string, b: string): number {
  if (a === b) return 0;
  const shorter = Math.min(a.length, b.length);
  let i = 0;
  while (i < shorter && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  let start = i;
  while (start > 0 && isDigit(a.charCodeAt(start - 1))) start--;
  let endA = start;
  let endB = start;
  while (endA < a.length && isDigit(a.charCodeAt(endA))) endA++;
  while (endB < b.length && isDigit(b.charCodeAt(endB))) endB++;
  // Inside a number, the longer run of digits is the larger number.
  if (endA > start && endB > start && endA !== endB) return endA - endB;
  return (i < a.length ? a.charCodeAt(i) : -1) - (i < b.length ? b.charCodeAt(i) : -1);
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return naturalCompare(String(a), String(b));
}

/** A stable sort by one column; ties keep namespace/name order so rows do not jump on updates. */
export function sortRows<R extends { name: string; namespace: string }>(
  rows: readonly R[],
  columns: readonly Column<R>[],
  sort: SortSpec | null,
): R[] {
  const column = sort ? columns.find((c) => c.id === sort.column) : undefined;
  const sign = sort?.desc ? -1 : 1;
  return rows.slice().sort((a, b) => {
    if (column) {
      const byColumn = compare(column.sortValue(a), column.sortValue(b));
      if (byColumn !== 0) return sign * byColumn;
    }
    return compare(a.namespace, b.namespace) || compare(a.name, b.name);
  });
}

/** Clicking a header: ascending, then descending, then back to the default order. */
export function nextSort(current: SortSpec | null, column: string): SortSpec | null {
  if (!current || current.column !== column) return { column, desc: false };
  return current.desc ? null : { column, desc: true };
}

export interface RowWindow {
  start: number;
  end: number;
}

/** The half-open range of row indexes to render for a scroll position, with ``overscan`` extra rows each side. */
export function visibleWindow(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan = 8,
): RowWindow {
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.min(count, first + visible + overscan);
  return { start, end };
}

/** The scrollTop that brings row ``index`` into view, or null when it already is. */
export function scrollToReveal(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): number | null {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return top + rowHeight - viewportHeight;
  return null;
}
