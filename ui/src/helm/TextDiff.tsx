/** Two texts side by side in Monaco's read-only diff editor; loaded lazily with the editor. */

import { useEffect, useRef } from "react";
import { monaco } from "../edit/monaco";
import { useTheme } from "../ui/theme";

interface Props {
  /** Identifies the pair of models, e.g. `helm/prod/shop/web/manifest/2..3`. */
  id: string;
  original: string;
  modified: string;
}

export default function TextDiff({ id, original, modified }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const [theme] = useTheme();

  useEffect(() => {
    if (!host.current) return undefined;
    const left = monaco.editor.createModel(original, "yaml", monaco.Uri.parse(`diff://${id}/original.yaml`));
    const right = monaco.editor.createModel(modified, "yaml", monaco.Uri.parse(`diff://${id}/modified.yaml`));
    const editor = monaco.editor.createDiffEditor(host.current, {
      readOnly: true,
      originalEditable: false,
      automaticLayout: true,
      renderSideBySide: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fontSize: 12.5,
      lineHeight: 19,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
    });
    editor.setModel({ original: left, modified: right });
    return () => {
      editor.dispose();
      left.dispose();
      right.dispose();
    };
  }, [id, original, modified]);

  useEffect(() => monaco.editor.setTheme(theme === "dark" ? "periscope-dark" : "periscope-light"), [theme]);

  return <div ref={host} className="text-diff" data-testid="text-diff" />;
}
