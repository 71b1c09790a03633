/** The detail pane beside a list: describe, YAML, events and related objects of the selected object. */

import type { ListSpec } from "../list/spec";
import { TABS, type Selection, type Tab } from "../state/url";
import { useHotkeys } from "../ui/hotkeys";
import { Icon } from "../ui/Icon";
import { DescribeTab } from "./DescribeTab";
import { EventsTab } from "./EventsTab";
import { RelatedTab } from "./RelatedTab";
import { YamlTab } from "./YamlTab";

const LABELS: Record<Tab, string> = { describe: "Describe", yaml: "YAML", events: "Events", related: "Related" };

export interface ObjectTarget {
  cluster: string;
  spec: ListSpec;
  selection: Selection;
}

interface Props extends ObjectTarget {
  tab: Tab;
  onTab: (tab: Tab) => void;
  onClose: () => void;
}

export function DetailPane({ cluster, spec, selection, tab, onTab, onClose }: Props) {
  useHotkeys(Object.fromEntries(TABS.map((t, i) => [String(i + 1), () => onTab(t)])));
  const target = { cluster, spec, selection };
  return (
    <aside className="detail" aria-label={`${spec.kind} ${selection.name}`} data-testid="detail-pane">
      <header className="detail-head">
        <div className="detail-title">
          <span className="kind-chip">{spec.kind}</span>
          <span className="detail-name" title={selection.name}>
            {selection.name}
          </span>
          {selection.namespace && <span className="detail-ns">{selection.namespace}</span>}
        </div>
        <button type="button" className="icon-btn" onClick={onClose} aria-label="Close detail" title="Close (Esc)">
          <Icon name="close" />
        </button>
      </header>
      <nav className="tabs" role="tablist">
        {TABS.map((t, i) => (
          <button
            type="button"
            role="tab"
            key={t}
            aria-selected={t === tab}
            className={`tab${t === tab ? " active" : ""}`}
            onClick={() => onTab(t)}
            title={`${LABELS[t]} (${i + 1})`}
          >
            {LABELS[t]}
          </button>
        ))}
      </nav>
      <div className="detail-body" role="tabpanel">
        {tab === "describe" && <DescribeTab {...target} />}
        {tab === "yaml" && <YamlTab {...target} />}
        {tab === "events" && <EventsTab {...target} />}
        {tab === "related" && <RelatedTab {...target} />}
      </div>
    </aside>
  );
}
