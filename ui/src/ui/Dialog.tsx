import { useEffect, useRef, type ReactNode } from "react";
import { useOverlay } from "./hotkeys";

interface Props {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Buttons, right-aligned under the body. */
  footer?: ReactNode;
  wide?: boolean;
}

/** A modal dialog: it takes the focus (from a terminal, say), Esc or a click outside closes it, and page
 * shortcuts pause while it is open. */
export function Dialog({ title, onClose, children, footer, wide = false }: Props) {
  useOverlay();
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current?.contains(document.activeElement)) box.current?.focus();
  }, []);
  return (
    <div className="overlay" onMouseDown={onClose}>
      <div
        ref={box}
        tabIndex={-1}
        className={`dialog${wide ? " dialog-wide" : ""}`}
        role="dialog"
        aria-label={title}
        aria-modal="true"
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key !== "Escape") return;
          e.stopPropagation();
          onClose();
        }}
      >
        <h2 className="dialog-title">{title}</h2>
        <div className="dialog-body">{children}</div>
        {footer && <div className="dialog-foot">{footer}</div>}
      </div>
    </div>
  );
}
