import { lazy, Suspense, useRef, useState, type PointerEvent } from "react";
import { Icon } from "../ui/Icon";
import { Loading } from "../ui/states";
import { useTerminals } from "./TerminalContext";

// xterm.js is loaded only when the first shell opens.
const TerminalPane = lazy(() => import("./TerminalPane"));

const MIN_HEIGHT = 160;
const DEFAULT_HEIGHT = 320;

/** Shells at the bottom of every page: one tab per session, resizable, minimisable. */
export function TerminalDrawer() {
  const { tabs, active, close, select } = useTerminals();
  const [height, setHeight] = useState(DEFAULT_HEIGHT);
  const [minimised, setMinimised] = useState(false);
  const drag = useRef<{ y: number; height: number } | null>(null);
  if (tabs.length === 0) return null;

  const startDrag = (event: PointerEvent) => {
    drag.current = { y: event.clientY, height };
    event.currentTarget.setPointerCapture(event.pointerId);
  };
  const onDrag = (event: PointerEvent) => {
    if (!drag.current) return;
    const max = window.innerHeight - 120;
    setHeight(Math.max(MIN_HEIGHT, Math.min(max, drag.current.height + drag.current.y - event.clientY)));
  };

  return (
    <section className={`drawer${minimised ? " minimised" : ""}`} style={{ height: minimised ? undefined : height }} aria-label="Terminals" data-testid="terminal-drawer">
      <div
        className="drawer-grip"
        role="separator"
        aria-orientation="horizontal"
        aria-label="Resize terminals"
        onPointerDown={startDrag}
        onPointerMove={onDrag}
        onPointerUp={() => (drag.current = null)}
      />
      <header className="drawer-head">
        <Icon name="terminal" size={14} />
        <nav className="drawer-tabs" role="tablist">
          {tabs.map((tab) => (
            <div key={tab.id} className={`drawer-tab${tab.id === active ? " active" : ""}`} role="tab" aria-selected={tab.id === active}>
              <button type="button" className="drawer-tab-label" onClick={() => { select(tab.id); setMinimised(false); }} title={`${tab.target.cluster} · ${tab.target.namespace}/${tab.target.pod}`}>
                <span className="text-muted">{tab.target.cluster}</span> {tab.target.pod}
              </button>
              <button type="button" className="icon-btn icon-btn-small" aria-label={`Close ${tab.target.pod}`} onClick={() => close(tab.id)}>
                <Icon name="close" size={11} />
              </button>
            </div>
          ))}
        </nav>
        <button type="button" className="icon-btn" onClick={() => setMinimised(!minimised)} aria-label={minimised ? "Restore terminals" : "Minimise terminals"}>
          <Icon name={minimised ? "maximize" : "minimize"} size={13} />
        </button>
      </header>
      <div className="drawer-body" hidden={minimised}>
        <Suspense fallback={<Loading label="Loading terminal…" />}>
          {tabs.map((tab) => (
            <TerminalPane key={tab.id} target={tab.target} visible={tab.id === active && !minimised} onClose={() => close(tab.id)} />
          ))}
        </Suspense>
      </div>
    </section>
  );
}
