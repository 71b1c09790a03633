import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { Icon } from "./Icon";

export type ToastTone = "ok" | "warn" | "bad";

export interface ToastMessage {
  tone: ToastTone;
  title: string;
  body?: ReactNode;
}

interface Shown extends ToastMessage {
  id: number;
}

const ToastContext = createContext<(toast: ToastMessage) => void>(() => undefined);
const SHOW_MS = { ok: 5_000, warn: 12_000, bad: 12_000 } as const;
let nextId = 1;

/** Action outcomes in the corner: successes fade, warnings and failures stay longer. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Shown[]>([]);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const push = useCallback(
    (toast: ToastMessage) => {
      const id = nextId++;
      setToasts((all) => [...all.slice(-3), { ...toast, id }]);
      setTimeout(() => dismiss(id), SHOW_MS[toast.tone]);
    },
    [dismiss],
  );
  const value = useMemo(() => push, [push]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.tone}`} data-testid="toast">
            <div className="toast-head">
              <Icon name={t.tone === "ok" ? "check" : "alert"} size={14} />
              <strong>{t.title}</strong>
              <button type="button" className="icon-btn" onClick={() => dismiss(t.id)} aria-label="Dismiss">
                <Icon name="close" size={12} />
              </button>
            </div>
            {t.body && <div className="toast-body">{t.body}</div>}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): (toast: ToastMessage) => void {
  return useContext(ToastContext);
}
