import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import type { TerminalTarget } from "./session";

export interface TerminalTab {
  id: number;
  target: TerminalTarget;
}

interface Terminals {
  tabs: TerminalTab[];
  active: number | null;
  open: (target: TerminalTarget) => void;
  close: (id: number) => void;
  select: (id: number) => void;
}

const Context = createContext<Terminals | null>(null);
let nextId = 1;

/** The bottom drawer's tabs, shared so any page (a pod's action bar) can open a shell. */
export function TerminalProvider({ children }: { children: ReactNode }) {
  const [tabs, setTabs] = useState<TerminalTab[]>([]);
  const [active, setActive] = useState<number | null>(null);
  const open = useCallback((target: TerminalTarget) => {
    const id = nextId++;
    setTabs((all) => [...all, { id, target }]);
    setActive(id);
  }, []);
  const close = useCallback((id: number) => {
    setTabs((all) => {
      const rest = all.filter((t) => t.id !== id);
      setActive((current) => (current === id ? (rest[rest.length - 1]?.id ?? null) : current));
      return rest;
    });
  }, []);
  const value = useMemo(() => ({ tabs, active, open, close, select: setActive }), [tabs, active, open, close]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useTerminals(): Terminals {
  const value = useContext(Context);
  if (!value) throw new Error("useTerminals outside TerminalProvider");
  return value;
}
