/** The Monaco editor for one object's YAML: schema validation, problem count and ownership glyphs. */

import { useEffect, useRef } from "react";
import type { ManagedFieldsEntry } from "../api/types";
import { useTheme } from "../ui/theme";
import { monaco, setSchema } from "./monaco";
import { dominant, ownedLines, ownerText } from "./ownership";

interface Props {
  /** Identifies the model (and its schema) per object. */
  uri: string;
  value: string;
  onChange: (text: string) => void;
  schema: object | null;
  owners: readonly ManagedFieldsEntry[];
  showOwners: boolean;
  onProblems: (problems: string[]) => void;
  /** Ctrl/Cmd+S. */
  onSave: () => void;
}

export function CodeEditor({ uri, value, onChange, schema, owners, showOwners, onProblems, onSave }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const decorations = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);
  const callbacks = useRef({ onChange, onProblems, onSave });
  callbacks.current = { onChange, onProblems, onSave };
  const [theme] = useTheme();

  useEffect(() => {
    if (!host.current) return undefined;
    const modelUri = monaco.Uri.parse(uri);
    const model = monaco.editor.getModel(modelUri) ?? monaco.editor.createModel(value, "yaml", modelUri);
    model.setValue(value);
    const instance = monaco.editor.create(host.current, {
      model,
      theme: theme === "dark" ? "periscope-dark" : "periscope-light",
      automaticLayout: true,
      minimap: { enabled: false },
      glyphMargin: true,
      fontSize: 12.5,
      lineHeight: 19,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      scrollBeyondLastLine: false,
      tabSize: 2,
      lineNumbersMinChars: 3,
      renderLineHighlight: "line",
      fixedOverflowWidgets: true,
    });
    editor.current = instance;
    decorations.current = instance.createDecorationsCollection();
    instance.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => callbacks.current.onSave());
    const changes = model.onDidChangeContent(() => callbacks.current.onChange(model.getValue()));
    const markers = monaco.editor.onDidChangeMarkers((uris) => {
      if (!uris.some((u) => u.toString() === modelUri.toString())) return;
      const list = monaco.editor.getModelMarkers({ resource: modelUri }).filter((m) => m.severity >= monaco.MarkerSeverity.Warning);
      callbacks.current.onProblems(list.map((m) => `Line ${m.startLineNumber}: ${m.message}`));
    });
    return () => {
      changes.dispose();
      markers.dispose();
      instance.dispose();
      model.dispose();
      editor.current = null;
    };
    // One editor per object; value changes from outside are pushed below.
  }, [uri]);

  useEffect(() => {
    const model = editor.current?.getModel();
    if (model && model.getValue() !== value) model.pushEditOperations([], [{ range: model.getFullModelRange(), text: value }], () => null);
  }, [value]);

  useEffect(() => monaco.editor.setTheme(theme === "dark" ? "periscope-dark" : "periscope-light"), [theme]);

  useEffect(() => setSchema(uri, schema), [uri, schema]);

  // Ownership glyphs follow the text, a moment after typing stops.
  useEffect(() => {
    const timer = setTimeout(() => {
      const lines = showOwners ? ownedLines(value, owners) : [];
      decorations.current?.set(
        lines.map(({ line, owners: lineOwners }) => ({
          range: new monaco.Range(line, 1, line, 1),
          options: {
            glyphMarginClassName: `own-glyph own-${dominant(lineOwners)?.class ?? "unknown"}`,
            glyphMarginHoverMessage: { value: ownerText(lineOwners) },
          },
        })),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [value, owners, showOwners]);

  return <div className="code-editor" ref={host} data-testid="yaml-editor" />;
}
