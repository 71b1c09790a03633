/** One shell: xterm.js bound to a TerminalSession, with the idle warning and the end or refusal states. */

import { FitAddon } from "@xterm/addon-fit";
import { Terminal, type ITheme } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef, useState } from "react";
import { useTheme, type Theme } from "../ui/theme";
import { useNow } from "../ui/useNow";
import { CapDialog } from "./CapDialog";
import { CAP_CODES, INITIAL, TerminalSession, type SessionState, type TerminalTarget } from "./session";

const THEMES: Record<Theme, ITheme> = {
  dark: { background: "#0b0e13", foreground: "#d8dde6", cursor: "#5b8def", selectionBackground: "#2a3b5c" },
  light: { background: "#fbfcfd", foreground: "#1b2130", cursor: "#2563eb", selectionBackground: "#cfdcf7" },
};

interface Props {
  target: TerminalTarget;
  visible: boolean;
  onClose: () => void;
}

export default function TerminalPane({ target, visible, onClose }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<{ term: Terminal; fit: FitAddon; session: TerminalSession } | null>(null);
  const [state, setState] = useState<SessionState>(INITIAL);
  const [attempt, setAttempt] = useState(0);
  const [theme] = useTheme();

  useEffect(() => {
    const element = host.current;
    if (!element) return undefined;
    const term = new Terminal({
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      fontSize: 12.5,
      cursorBlink: true,
      scrollback: 5000,
      theme: THEMES[theme],
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(element);
    fit.fit();
    const session = new TerminalSession(target, {
      onOutput: (data) => term.write(data),
      onState: (patch) => setState((old) => ({ ...old, ...patch })),
    });
    view.current = { term, fit, session };
    const subscriptions = [
      term.onData((data) => session.input(data)),
      term.onBinary((data) => session.input(data, true)),
      term.onResize(({ cols, rows }) => session.resize(cols, rows)),
    ];
    const observer = new ResizeObserver(() => {
      if (element.offsetParent) fit.fit();
    });
    observer.observe(element);
    void session.start({ cols: term.cols, rows: term.rows });
    term.focus();
    return () => {
      observer.disconnect();
      for (const s of subscriptions) s.dispose();
      session.dispose();
      term.dispose();
      view.current = null;
    };
    // The theme is applied below without reconnecting; a new attempt is a new session.
  }, [target, attempt]);

  useEffect(() => {
    if (view.current) view.current.term.options.theme = THEMES[theme];
  }, [theme]);

  useEffect(() => {
    if (!visible || !view.current) return;
    view.current.fit.fit();
    view.current.term.focus();
  }, [visible]);

  const retry = () => setAttempt((n) => n + 1);
  const capped = state.phase === "refused" && state.refusal !== null && CAP_CODES.includes(state.refusal.code);
  return (
    <div className="term-pane" hidden={!visible} data-testid="terminal-pane">
      <div className="term-status">
        <span className={`term-phase term-${state.phase}`}>{PHASES[state.phase]}</span>
        <span className="text-muted mono">
          {target.namespace}/{target.pod}
          {state.container && ` · ${state.container}`}
          {state.transport && ` · ${state.transport}`}
        </span>
      </div>
      {state.idleDeadline !== null && state.phase === "open" && <IdleBanner deadline={state.idleDeadline} />}
      {(state.phase === "ended" || (state.phase === "refused" && !capped)) && (
        <div className={`term-banner ${state.phase === "refused" ? "term-banner-bad" : ""}`} role="status">
          <span>{state.message}</span>
          <button type="button" className="btn btn-small" onClick={retry}>
            Reconnect
          </button>
          <button type="button" className="btn btn-small" onClick={onClose}>
            Close tab
          </button>
        </div>
      )}
      <div className="term-host" ref={host} />
      {capped && state.refusal && <CapDialog refusal={state.refusal} onRetry={retry} onCancel={onClose} />}
    </div>
  );
}

const PHASES: Record<SessionState["phase"], string> = {
  checking: "Checking…",
  connecting: "Connecting…",
  open: "Connected",
  ended: "Ended",
  refused: "Refused",
};

function IdleBanner({ deadline }: { deadline: number }) {
  const now = useNow(1000);
  const seconds = Math.max(0, Math.ceil((deadline - now) / 1000));
  return (
    <div className="term-banner term-banner-warn" role="alert" data-testid="idle-warning">
      No input for a while: this session closes in {seconds}s. Press any key to keep it open.
    </div>
  );
}
