import { useHotkeys, useOverlay } from "../ui/hotkeys";

const MOD = /Mac|iPhone|iPad/.test(navigator.platform) ? "⌘" : "Ctrl";

const SHORTCUTS: [string, string][] = [
  [`${MOD} K`, "Command palette: jump to a cluster, kind or object"],
  ["?", "This help"],
  ["t", "Toggle light / dark theme"],
  ["/", "Filter the current list"],
  ["j / ↓", "Next row"],
  ["k / ↑", "Previous row"],
  ["Enter", "Open the row under the cursor"],
  ["1 2 3 4", "Describe, YAML, Events, Related"],
  ["5 6", "Logs (pods and workloads) and the YAML editor"],
  [`${MOD} S`, "In the editor: review changes (server dry run)"],
  ["Esc", "Close the detail pane or dialog"],
];

/** The `?` overlay listing every shortcut. */
export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  useOverlay();
  useHotkeys({ Escape: onClose, "?": onClose }, "always");
  return (
    <div className="overlay" onMouseDown={onClose}>
      <div className="dialog" role="dialog" aria-label="Keyboard shortcuts" onMouseDown={(e) => e.stopPropagation()}>
        <h2 className="dialog-title">Keyboard shortcuts</h2>
        <table className="shortcuts">
          <tbody>
            {SHORTCUTS.map(([keys, text]) => (
              <tr key={keys}>
                <td>
                  {keys.split(" ").map((key) => (
                    <kbd key={key}>{key}</kbd>
                  ))}
                </td>
                <td>{text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
