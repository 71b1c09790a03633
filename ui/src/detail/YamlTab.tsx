import { useState } from "react";
import { useObjectYaml } from "../api/queries";
import { Icon } from "../ui/Icon";
import { ErrorState, Loading } from "../ui/states";
import type { ObjectTarget } from "./DetailPane";
import { tokenizeLine } from "./yamlTokens";

/** The object as YAML (managedFields stripped by the server), highlighted, with copy and download. */
export function YamlTab({ cluster, spec, selection }: ObjectTarget) {
  const yaml = useObjectYaml(cluster, spec.source, selection.namespace, selection.name);
  const [copied, setCopied] = useState(false);
  if (yaml.isPending) return <Loading label="Loading YAML…" />;
  if (yaml.isError) {
    return <ErrorState error={yaml.error} attempt={{ verb: "get", resource: spec.source.plural, namespace: selection.namespace }} />;
  }
  const text = yaml.data;
  const copy = async () => {
    await navigator.clipboard.writeText(text);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  const download = () => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
    link.download = `${spec.kind.toLowerCase()}-${selection.name}.yaml`;
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
      <pre className="code" data-testid="yaml">
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
