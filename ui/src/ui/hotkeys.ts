/** Global keyboard shortcuts; single keys are ignored while the user types in a field. */

import { useEffect, useRef } from "react";

type KeyHandler = (event: KeyboardEvent) => void;

/** "page" shortcuts pause while a dialog is open; "always" ones (the dialog's own, Cmd+K) do not. */
export type Layer = "page" | "always";

let openOverlays = 0;

/** Marks a dialog as open for as long as the calling component is mounted. */
export function useOverlay(): void {
  useEffect(() => {
    openOverlays++;
    return () => {
      openOverlays--;
    };
  }, []);
}

function ignored(event: KeyboardEvent): boolean {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) return true;
  // Enter on a focused button or link already activates it.
  return event.key === "Enter" && ["BUTTON", "A"].includes(target.tagName);
}

/** Binds ``bindings`` (key -> handler) on window; "mod+k" means Ctrl+K or Cmd+K and works inside fields. */
export function useHotkeys(bindings: Record<string, KeyHandler>, layer: Layer = "page"): void {
  const ref = useRef(bindings);
  ref.current = bindings;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (layer === "page" && openOverlays > 0) return;
      const mod = event.ctrlKey || event.metaKey;
      const name = mod ? `mod+${event.key.toLowerCase()}` : event.key;
      const handler = ref.current[name];
      if (!handler || (!mod && (ignored(event) || event.altKey))) return;
      event.preventDefault();
      handler(event);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [layer]);
}
