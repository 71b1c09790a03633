import { useEffect, useState, type RefObject } from "react";
import type { LiveList } from "../stream/useLiveList";
import { Icon } from "../ui/Icon";
import { NamespacePicker } from "./NamespacePicker";
import type { ListSpec } from "./spec";
import { StreamBadge } from "./StreamBadge";

interface Props {
  cluster: string;
  spec: ListSpec;
  namespace: string;
  filter: string;
  /** Rows left after filtering, next to the total. */
  shown: number;
  live: LiveList;
  filterInput: RefObject<HTMLInputElement | null>;
  onNamespace: (namespace: string) => void;
  onFilter: (filter: string) => void;
}

/** Title and counts, namespace, filter, stream health and refresh. */
export function ListToolbar({ cluster, spec, namespace, filter, shown, live, filterInput, onNamespace, onFilter }: Props) {
  const total = live.rows.length;
  // The field owns its text while it has focus: the URL follows it, lagging a render behind, so driving
  // the field from the URL would drop keys typed in between. A link or Back changes it when unfocused.
  const [text, setText] = useState(filter);
  useEffect(() => {
    if (document.activeElement !== filterInput.current) setText(filter);
  }, [filter, filterInput]);
  const staleError = live.error instanceof Error && total > 0 ? live.error : null;
  return (
    <div className="toolbar">
      <h1 className="page-title">
        {spec.title}
        <span className="count" data-testid="row-count">
          {shown === total ? total : `${shown} of ${total}`}
        </span>
      </h1>
      {spec.namespaced && <NamespacePicker cluster={cluster} value={namespace} onChange={onNamespace} />}
      <label className="filter">
        <Icon name="search" size={14} />
        <input
          ref={filterInput}
          className="input"
          placeholder="Filter: name, namespace or label=value"
          title="Filter (/)"
          aria-label="Filter"
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            onFilter(event.target.value);
          }}
          onKeyDown={(event) => {
            if (event.key === "Escape") event.currentTarget.blur();
          }}
        />
      </label>
      <div className="toolbar-end">
        {staleError && (
          <span className="badge badge-bad" title={staleError.message}>
            refresh failed
          </span>
        )}
        <StreamBadge health={live.health} pollSeconds={spec.pollSeconds} />
        <button type="button" className="icon-btn" onClick={live.refetch} title="Refresh now" aria-label="Refresh">
          <Icon name="refresh" size={14} />
        </button>
      </div>
    </div>
  );
}
