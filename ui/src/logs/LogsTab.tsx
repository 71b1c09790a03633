/** Logs of a pod, or every pod of a workload merged in time order, with server-side filtering. */

import { useEffect, useState } from "react";
import { logsUrl } from "../api/paths";
import { useObject } from "../api/queries";
import type { KubeObject } from "../api/types";
import type { ObjectTarget } from "../detail/DetailPane";
import { Icon } from "../ui/Icon";
import { Empty } from "../ui/states";
import { LogLines } from "./LogLines";
import { DEFAULT_OPTIONS, logParams, POD_COLOURS, type LogOptions } from "./model";
import { useLogStream, type LogStatus } from "./useLogStream";

const TAILS = [100, 500, 1000, 5000, 0];
const SINCE: [number, string][] = [
  [0, "all time"],
  [300, "5 min"],
  [900, "15 min"],
  [3600, "1 hour"],
  [21600, "6 hours"],
  [86400, "24 hours"],
];

/** Container names from a pod or a workload's pod template. */
function containerNames(object: KubeObject | undefined): string[] {
  const spec = object?.spec as Record<string, unknown> | undefined;
  const podSpec = ((spec?.template as { spec?: Record<string, unknown> } | undefined)?.spec ?? spec) as Record<string, unknown> | undefined;
  const names = (key: string) => ((podSpec?.[key] as { name: string }[] | undefined) ?? []).map((c) => c.name);
  return [...names("containers"), ...names("initContainers")];
}

const STATUS: Record<LogStatus, string> = {
  connecting: "Connecting…",
  streaming: "Streaming",
  done: "End of log",
  failed: "Stopped",
  unavailable: "Unavailable",
};

export function LogsTab({ cluster, spec, selection }: ObjectTarget) {
  const object = useObject(cluster, spec.source, selection.namespace, selection.name);
  const [options, setOptions] = useState<LogOptions>(DEFAULT_OPTIONS);
  const [filterText, setFilterText] = useState("");
  const [wrap, setWrap] = useState(false);
  const [timestamps, setTimestamps] = useState(true);
  const [generation, setGeneration] = useState(0);
  const workload = spec.source.plural !== "pods";
  const set = (change: Partial<LogOptions>) => setOptions((o) => ({ ...o, ...change }));

  // The filter runs on the server: apply it once typing pauses.
  useEffect(() => {
    const timer = setTimeout(() => set({ grep: filterText }), 400);
    return () => clearTimeout(timer);
  }, [filterText]);

  const url = logsUrl(cluster, spec.source.plural, selection.namespace, selection.name, logParams(options));
  const log = useLogStream(url, generation);
  const downloadHref = logsUrl(cluster, spec.source.plural, selection.namespace, selection.name, logParams(options, true));
  const containers = containerNames(object.data);

  if (log.status === "unavailable") {
    return <Empty title="Logs are not available on this server yet">This Periscope server does not stream logs; update it to read them here.</Empty>;
  }
  return (
    <div className="logs" data-testid="logs">
      <div className="logs-bar">
        {containers.length > 1 && (
          <select className="input" aria-label="Container" value={options.container} onChange={(e) => set({ container: e.target.value })}>
            <option value="">default container</option>
            {containers.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        )}
        <select className="input" aria-label="Tail" value={options.tailLines} onChange={(e) => set({ tailLines: Number(e.target.value) })}>
          {TAILS.map((n) => (
            <option key={n} value={n}>
              {n ? `last ${n}` : "all lines"}
            </option>
          ))}
        </select>
        <select className="input" aria-label="Since" value={options.sinceSeconds} onChange={(e) => set({ sinceSeconds: Number(e.target.value) })}>
          {SINCE.map(([seconds, label]) => (
            <option key={seconds} value={seconds}>
              {label}
            </option>
          ))}
        </select>
        <Toggle label="Follow" checked={options.follow} onChange={(follow) => set({ follow })} />
        {!workload && <Toggle label="Previous" checked={options.previous} onChange={(previous) => set({ previous })} title="The previous container's log, after a restart" />}
        <Toggle label="Wrap" checked={wrap} onChange={setWrap} />
        <Toggle label="Time" checked={timestamps} onChange={setTimestamps} />
      </div>
      <div className="logs-bar">
        <label className="filter logs-filter">
          <Icon name="search" size={14} />
          <input className="input" placeholder="Filter on the server…" aria-label="Log filter" value={filterText} onChange={(e) => setFilterText(e.target.value)} />
        </label>
        <Toggle label=".*" checked={options.regex} onChange={(regex) => set({ regex })} title="Regular expression" />
        <span className={`logs-status logs-${log.status}`} data-testid="log-status">
          <span className="status-dot" aria-hidden="true" />
          {STATUS[log.status]} · {log.buffer.lines.length.toLocaleString()} lines
          {log.buffer.dropped > 0 && ` (${log.buffer.dropped.toLocaleString()} older dropped)`}
        </span>
        <span className="toolbar-end">
          <button type="button" className="btn btn-small" onClick={() => setGeneration((g) => g + 1)} title="Read the log again">
            <Icon name="refresh" size={13} /> Reload
          </button>
          <a className="btn btn-small" href={downloadHref} download>
            <Icon name="download" size={13} /> Download
          </a>
        </span>
      </div>
      {workload && log.pods.length > 0 && (
        <div className="logs-pods">
          {log.pods.map((pod, i) => (
            <span key={pod.name} className={`log-pod-chip pod-c${i % POD_COLOURS}`} title={pod.node ? `on ${pod.node}` : undefined}>
              {pod.name}
            </span>
          ))}
          {log.capMessage && <span className="text-warn">{log.capMessage}</span>}
        </div>
      )}
      {log.errors.length > 0 && (
        <div className="logs-errors" role="alert">
          {log.errors.slice(-3).map((e) => (
            <div key={e}>{e}</div>
          ))}
        </div>
      )}
      {log.buffer.lines.length === 0 && log.status !== "connecting" ? (
        <Empty title={options.grep ? "No lines match the filter" : "No log lines"}>
          {log.status === "streaming" ? "New lines appear here as they are written." : "Try a longer time range or the previous container."}
        </Empty>
      ) : (
        <LogLines lines={log.buffer.lines} pods={log.pods} wrap={wrap} timestamps={timestamps} showPods={workload} grep={options.grep} regex={options.regex} />
      )}
    </div>
  );
}

function Toggle({ label, checked, onChange, title }: { label: string; checked: boolean; onChange: (value: boolean) => void; title?: string }) {
  return (
    <button type="button" className={`toggle${checked ? " on" : ""}`} aria-pressed={checked} onClick={() => onChange(!checked)} title={title}>
      {label}
    </button>
  );
}
