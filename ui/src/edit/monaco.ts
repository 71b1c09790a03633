/** Monaco, trimmed to what a YAML editor needs, with schema validation from monaco-yaml. Loaded lazily. */

import * as monaco from "monaco-editor/esm/vs/editor/editor.api";
import "monaco-editor/esm/vs/editor/browser/coreCommands";
import "monaco-editor/esm/vs/editor/contrib/bracketMatching/browser/bracketMatching";
import "monaco-editor/esm/vs/editor/contrib/clipboard/browser/clipboard";
import "monaco-editor/esm/vs/editor/contrib/codeAction/browser/codeActionContributions";
import "monaco-editor/esm/vs/editor/contrib/comment/browser/comment";
import "monaco-editor/esm/vs/editor/contrib/contextmenu/browser/contextmenu";
import "monaco-editor/esm/vs/editor/contrib/cursorUndo/browser/cursorUndo";
import "monaco-editor/esm/vs/editor/contrib/find/browser/findController";
import "monaco-editor/esm/vs/editor/contrib/folding/browser/folding";
import "monaco-editor/esm/vs/editor/contrib/format/browser/formatActions";
import "monaco-editor/esm/vs/editor/contrib/gotoError/browser/gotoError";
import "monaco-editor/esm/vs/editor/contrib/hover/browser/hoverContribution";
import "monaco-editor/esm/vs/editor/contrib/indentation/browser/indentation";
import "monaco-editor/esm/vs/editor/contrib/linesOperations/browser/linesOperations";
import "monaco-editor/esm/vs/editor/contrib/multicursor/browser/multicursor";
import "monaco-editor/esm/vs/editor/contrib/snippet/browser/snippetController2";
import "monaco-editor/esm/vs/editor/contrib/suggest/browser/suggestController";
import "monaco-editor/esm/vs/editor/contrib/wordHighlighter/browser/wordHighlighter";
import "monaco-editor/esm/vs/base/browser/ui/codicons/codiconStyles";
import "monaco-editor/esm/vs/basic-languages/yaml/yaml.contribution";
import EditorWorker from "monaco-editor/esm/vs/editor/editor.worker?worker";
import { configureMonacoYaml, type SchemasSettings } from "monaco-yaml";
import YamlWorker from "monaco-yaml/yaml.worker?worker";

// Workers are separate same-origin files, which the CSP's worker sources allow.
self.MonacoEnvironment = {
  getWorker: (_id: string, label: string) => (label === "yaml" ? new YamlWorker() : new EditorWorker()),
};

monaco.editor.defineTheme("periscope-light", {
  base: "vs",
  inherit: true,
  rules: [],
  colors: { "editor.background": "#fbfcfd", "editorGutter.background": "#f3f5f8", "editorLineNumber.foreground": "#9aa2af" },
});
monaco.editor.defineTheme("periscope-dark", {
  base: "vs-dark",
  inherit: true,
  rules: [],
  colors: { "editor.background": "#11151b", "editorGutter.background": "#151920", "editorLineNumber.foreground": "#5d6675" },
});

const yaml = configureMonacoYaml(monaco, {
  enableSchemaRequest: false,
  validate: true,
  hover: true,
  completion: true,
  format: { enable: true },
  schemas: [],
});

/** Validates and completes `modelUri` against `schema` (replacing any earlier schema for it). */
export function setSchema(modelUri: string, schema: object | null): void {
  const schemas: SchemasSettings[] = schema ? [{ uri: `${modelUri}.schema.json`, fileMatch: [modelUri], schema: schema as never }] : [];
  void yaml.update({ schemas });
}

export { monaco };
