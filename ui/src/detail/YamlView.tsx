import { useState } from "react";
import { Icon } from "../ui/Icon";
import { tokenizeLine } from "./yamlTokens";

/** YAML text, highlighted with line numbers, with copy and download. */
export function YamlView({ text, fileName, testId = "yaml" }: { text: string; fileName: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(text);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  const download = () => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
    link.download = fileName;
    link.click();
    URL.revokeObjectURL(link.href);
  };
  const lines = text.replace(/\n$/, "").split("\n");
  return (
    <div className="yaml-view">
      <div className="yaml-actions">
        <button type="button" className="btn btn-small" onClick={() => void copy()}>
          <Icon name="copy" size={13} /> {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" className="btn btn-small" onClick={download}>
          <Icon name="download" size={13} /> Download
        </button>
      </div>
      <pre className="code" data-testid={testId}>
        {lines.map((line, i) => (
          <div className="code-line" key={i}>
            <span className="ln" aria-hidden="true">
              {i + 1}
            </span>
            <span>
              {tokenizeLine(line).map((token, j) => (
                <span key={j} className={`y-${token.cls}`}>
                  {token.text}
                </span>
              ))}
            </span>
          </div>
        ))}
      </pre>
    </div>
  );
}
