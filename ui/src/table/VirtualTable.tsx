/** A windowed table: only the rows in view are in the DOM, so 10,000 rows scroll like 50. */

import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties } from "react";
import { minTableWidth, scrollToReveal, visibleWindow, type Column, type SortSpec } from "./logic";

const ROW_HEIGHT = 28;

interface Props<R> {
  rows: readonly R[];
  columns: readonly Column<R>[];
  rowKey: (row: R) => string;
  sort: SortSpec | null;
  onSort: (column: string) => void;
  /** The keyboard cursor (row index), kept in view. */
  cursor: number;
  selectedKey: string | null;
  onOpen: (row: R) => void;
  now: number;
  label: string;
}

export function VirtualTable<R>({ rows, columns, rowKey, sort, onSort, cursor, selectedKey, onOpen, now, label }: Props<R>) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return undefined;
    const observer = new ResizeObserver(() => setViewport(element.clientHeight));
    observer.observe(element);
    setViewport(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const element = scroller.current;
    if (!element || cursor < 0) return;
    // The sticky header covers one row's height at the top of the viewport.
    const target = scrollToReveal(cursor, element.scrollTop, element.clientHeight - ROW_HEIGHT, ROW_HEIGHT);
    if (target !== null) element.scrollTop = target;
  }, [cursor]);

  const { start, end } = visibleWindow(scrollTop, viewport, ROW_HEIGHT, rows.length);
  const grid: CSSProperties = { gridTemplateColumns: columns.map((c) => c.width).join(" ") };
  const minWidth = minTableWidth(columns);

  return (
    <div
      className="vt"
      ref={scroller}
      role="grid"
      aria-label={label}
      aria-rowcount={rows.length + 1}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
    >
      <div className="vt-head" role="row" style={{ ...grid, minWidth }}>
        {columns.map((column) => {
          const active = sort?.column === column.id;
          return (
            <button
              type="button"
              key={column.id}
              role="columnheader"
              aria-sort={active ? (sort.desc ? "descending" : "ascending") : "none"}
              className={`vt-th${column.align === "right" ? " right" : ""}${active ? " sorted" : ""}`}
              onClick={() => onSort(column.id)}
            >
              {column.header}
              <span className="sort-mark" aria-hidden="true">
                {active ? (sort.desc ? "▼" : "▲") : ""}
              </span>
            </button>
          );
        })}
      </div>
      <div className="vt-spacer" style={{ height: rows.length * ROW_HEIGHT, minWidth }}>
        {rows.slice(start, end).map((row, offset) => {
          const index = start + offset;
          const key = rowKey(row);
          const classes = ["vt-row", index % 2 ? "odd" : "", key === selectedKey ? "selected" : "", index === cursor ? "cursor" : ""];
          return (
            <div
              key={key}
              role="row"
              aria-rowindex={index + 2}
              aria-selected={key === selectedKey}
              className={classes.filter(Boolean).join(" ")}
              style={{ ...grid, transform: `translateY(${index * ROW_HEIGHT}px)` }}
              onClick={() => onOpen(row)}
            >
              {columns.map((column) => (
                <div role="gridcell" key={column.id} className={`vt-td${column.align === "right" ? " right" : ""}`}>
                  {column.render ? column.render(row, now) : String(column.sortValue(row))}
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </div>
  );
}
