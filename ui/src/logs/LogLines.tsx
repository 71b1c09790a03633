/** The log body: only the lines in view are in the DOM; wrapped lines are measured in monospace columns. */

import { useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from "react";
import { formatStamp, highlight, lineAt, podColour, rowOffsets, wrappedRows, type LogLine, type LogPod } from "./model";

const ROW_PX = 18;
const OVERSCAN = 20;

interface Props {
  lines: readonly LogLine[];
  pods: readonly LogPod[];
  wrap: boolean;
  timestamps: boolean;
  showPods: boolean;
  grep: string;
  regex: boolean;
}

function useSize(ref: RefObject<HTMLDivElement | null>): { width: number; height: number; charWidth: number } {
  const [size, setSize] = useState({ width: 0, height: 0, charWidth: 7.2 });
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    // The character width of the log font, measured outside the log so it is never part of its text.
    const probe = document.createElement("span");
    probe.className = "log-probe";
    probe.textContent = "0".repeat(100);
    document.body.appendChild(probe);
    const measure = () => setSize({ width: element.clientWidth, height: element.clientHeight, charWidth: probe.offsetWidth / 100 || 7.2 });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => {
      observer.disconnect();
      probe.remove();
    };
  }, [ref]);
  return size;
}

export function LogLines({ lines, pods, wrap, timestamps, showPods, grep, regex }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const { width, height, charWidth } = useSize(scroller);
  const [scrollTop, setScrollTop] = useState(0);
  const stick = useRef(true);
  // Gutters (time, pod) are fixed-width columns; only the text wraps.
  const gutterChars = (timestamps ? 13 : 0) + (showPods ? 20 : 0);
  const columns = Math.max(20, Math.floor((width - 16) / charWidth) - gutterChars);
  const offsets = useMemo(
    () => (wrap ? rowOffsets(lines.map((l) => wrappedRows(l.text, columns))) : null),
    [lines, wrap, columns],
  );
  const totalRows = offsets ? offsets[offsets.length - 1]! : lines.length;

  useEffect(() => {
    const element = scroller.current;
    if (element && stick.current) element.scrollTop = element.scrollHeight;
  }, [totalRows]);

  // A shorter log (a new stream) can leave the last scroll position past its end until the browser says so.
  const top = Math.min(scrollTop, Math.max(0, totalRows * ROW_PX - height));
  const firstRow = Math.max(0, Math.floor(top / ROW_PX) - OVERSCAN);
  const lastRow = Math.ceil((top + height) / ROW_PX) + OVERSCAN;
  const first = offsets ? lineAt(offsets, firstRow) : firstRow;
  const last = Math.min(lines.length, offsets ? lineAt(offsets, lastRow) + 1 : lastRow);
  const visible = lines.slice(first, last);

  return (
    <div
      className={`log-lines${wrap ? " wrap" : ""}`}
      ref={scroller}
      data-testid="log-lines"
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_PX;
        setScrollTop(el.scrollTop);
      }}
    >
      <div className="log-spacer" style={{ height: totalRows * ROW_PX }}>
        {visible.map((line, i) => {
          const index = first + i;
          const y = (offsets ? offsets[index]! : index) * ROW_PX;
          return (
            <div className="log-line" key={line.seq} style={{ top: y }}>
              {timestamps && (
                <span className="log-time" title={line.t}>
                  {formatStamp(line.t)}
                </span>
              )}
              {showPods && (
                <span className={`log-pod pod-c${podColour(line.pod, pods)}`} title={line.pod}>
                  {line.pod}
                </span>
              )}
              <span className="log-text">
                {highlight(line.text, grep, regex).map((seg, j) => (seg.match ? <mark key={j}>{seg.text}</mark> : seg.text))}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
