/** The detail pane beside a list: actions, then describe, YAML, events, related, logs and the editor. */

import { ActionBar } from "../actions/ActionBar";
import { LOG_KINDS } from "../actions/catalog";
import { useObject } from "../api/queries";
import { EditTab } from "../edit/EditTab";
import type { ListSpec } from "../list/spec";
import { LogsTab } from "../logs/LogsTab";
import type { Selection, Tab } from "../state/url";
import { useHotkeys } from "../ui/hotkeys";
import { Icon } from "../ui/Icon";
import { DescribeTab } from "./DescribeTab";
import { EventsTab } from "./EventsTab";
import { RelatedTab } from "./RelatedTab";
import { YamlTab } from "./YamlTab";

const LABELS: Record<Tab, string> = {
  describe: "Describe",
  yaml: "YAML",
  events: "Events",
  related: "Related",
  logs: "Logs",
  edit: "Edit",
};

/** Tabs that need the width of the page rather than a side pane. */
export const WIDE_TABS: readonly Tab[] = ["logs", "edit"];

export interface ObjectTarget {
  cluster: string;
  spec: ListSpec;
  selection: Selection;
}

interface Props extends ObjectTarget {
  tab: Tab;
  /** The object's resourceVersion in the live list, for the editor's drift check. */
  liveVersion: string | undefined;
  onTab: (tab: Tab) => void;
  onClose: () => void;
}

/** The tabs a kind has, in strip order; the editor is reached from its action. */
function tabsFor(spec: ListSpec): Tab[] {
  const logs = !spec.source.crd && LOG_KINDS.includes(spec.source.plural);
  return ["describe", "yaml", "events", "related", ...(logs ? (["logs"] as const) : []), "edit"];
}

export function DetailPane({ cluster, spec, selection, tab, liveVersion, onTab, onClose }: Props) {
  const tabs = tabsFor(spec);
  useHotkeys(Object.fromEntries(tabs.map((t, i) => [String(i + 1), () => onTab(t)])));
  const object = useObject(cluster, spec.source, selection.namespace, selection.name);
  const target = { cluster, spec, selection };
  const actionTarget = {
    plural: spec.source.plural,
    gvr: spec.gvr,
    custom: spec.source.crd !== undefined,
    namespace: selection.namespace,
    name: selection.name,
  };
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
      <ActionBar cluster={cluster} kind={spec.kind} target={actionTarget} object={object.data} />
      <nav className="tabs" role="tablist">
        {tabs.map((t, i) => (
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
      <div className={`detail-body${WIDE_TABS.includes(tab) ? " detail-body-flush" : ""}`} role="tabpanel">
        {tab === "describe" && <DescribeTab {...target} />}
        {tab === "yaml" && <YamlTab {...target} />}
        {tab === "events" && <EventsTab {...target} />}
        {tab === "related" && <RelatedTab {...target} />}
        {tab === "logs" && <LogsTab {...target} />}
        {tab === "edit" && <EditTab {...target} liveVersion={liveVersion} />}
      </div>
    </aside>
  );
}
