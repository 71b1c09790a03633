/** One Helm release: a revision's notes, values, manifest and objects, the history, and the diff of two revisions.
 * The revision, tab and diff pair live in the query string, so a link opens the same view. */

import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { getJson } from "../api/client";
import { helmUrl } from "../api/paths";
import { YamlView } from "../detail/YamlView";
import { ChangeRow } from "../edit/ReviewPanel";
import {
  beyondLabels,
  changeSummary,
  chartText,
  defaultDiff,
  helmTone,
  RELEASE_TABS,
  resourceHref,
  type ObjectChange,
  type ReleaseDetail,
  type ReleaseDiff,
  type ReleaseHistory,
  type ReleaseSummary,
  type ReleaseTab,
} from "../helm/types";
import { clusterPath } from "../state/url";
import { formatAge, formatTimestamp } from "../ui/format";
import { Empty, ErrorState, Loading } from "../ui/states";
import { Status } from "../ui/Status";
import { useNow } from "../ui/useNow";

// Monaco loads only when someone opens a diff.
const TextDiff = lazy(() => import("../helm/TextDiff"));

const LABELS: Record<ReleaseTab, string> = {
  notes: "Notes",
  values: "Values",
  manifest: "Manifest",
  resources: "Resources",
  history: "History",
  diff: "Diff",
};

type Params = Record<string, string | number | undefined>;

interface Props {
  cluster: string;
  namespace: string;
  name: string;
}

export function HelmReleasePage({ cluster, namespace, name }: Props) {
  const [params, setParams] = useSearchParams();
  const release = { namespace, name };
  const revision = Number(params.get("rev")) || 0;
  const tabParam = params.get("tab") as ReleaseTab | null;
  const tab: ReleaseTab = tabParam && RELEASE_TABS.includes(tabParam) ? tabParam : "notes";
  const detail = useQuery({
    queryKey: ["helm", cluster, namespace, name, revision],
    queryFn: ({ signal }) => getJson<ReleaseDetail>(helmUrl(cluster, release, "", { revision: revision || undefined }), signal),
    retry: false,
  });
  const history = useQuery({
    queryKey: ["helm-history", cluster, namespace, name],
    queryFn: ({ signal }) => getJson<ReleaseHistory>(helmUrl(cluster, release, "history", { max: 100 }), signal),
    retry: false,
  });
  const now = useNow();
  const update = (next: Params) => {
    const merged = new URLSearchParams(params);
    for (const [key, value] of Object.entries(next)) {
      if (value === undefined || value === "") merged.delete(key);
      else merged.set(key, String(value));
    }
    setParams(merged, { replace: true });
  };

  const back = (
    <Link to={`${clusterPath(cluster)}/helm`} className="btn btn-small">
      ← Releases
    </Link>
  );
  if (detail.isPending) return <Loading label="Loading the release…" />;
  if (detail.isError) {
    return (
      <div className="page">
        <div className="toolbar">{back}</div>
        <ErrorState error={detail.error} onRetry={() => void detail.refetch()} attempt={{ verb: "get", resource: "secrets", namespace }} />
      </div>
    );
  }
  const d = detail.data;
  const revisions = history.data?.revisions ?? [];
  return (
    <div className="page helm-release" data-testid="helm-release">
      <div className="toolbar">
        {back}
        <h1 className="page-title">
          {d.name} <span className="detail-ns">{d.namespace}</span>
        </h1>
        <Status value={d.status} tone={helmTone(d.status)} />
        <span className="mono" title="Chart">
          {chartText(d)}
        </span>
        {d.appVersion && <span className="text-muted">app {d.appVersion}</span>}
        <label className="toolbar-end helm-picker">
          Revision
          <select className="input" aria-label="Revision" value={d.revision} onChange={(e) => update({ rev: e.target.value })}>
            {(revisions.length ? revisions : [d]).map((r) => (
              <option key={r.revision} value={r.revision}>
                {r.revision} · {r.status}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="helm-summary">
        {d.description} · updated <span title={formatTimestamp(d.updated)}>{formatAge(d.updated, now)} ago</span>
        {history.data && history.data.total > 1 && ` · ${history.data.total} revisions kept`}
      </div>
      <nav className="tabs" role="tablist">
        {RELEASE_TABS.map((t) => (
          <button type="button" role="tab" key={t} aria-selected={t === tab} className={`tab${t === tab ? " active" : ""}`} onClick={() => update({ tab: t === "notes" ? undefined : t })}>
            {LABELS[t]}
          </button>
        ))}
      </nav>
      <div className="helm-tab" role="tabpanel">
        {tab === "notes" && (d.notes ? <pre className="helm-notes" data-testid="helm-notes">{d.notes}</pre> : <Empty title="The chart printed no notes" />)}
        {tab === "values" && <Values detail={d} />}
        {tab === "manifest" && <YamlView text={d.manifestYaml} fileName={`${d.name}-v${d.revision}-manifest.yaml`} testId="helm-manifest" />}
        {tab === "resources" && <Resources cluster={cluster} detail={d} />}
        {tab === "history" && (
          <History
            history={history}
            shown={d.revision}
            now={now}
            onShow={(rev) => update({ rev, tab: undefined })}
            onDiff={(from, to) => update({ tab: "diff", from, to })}
          />
        )}
        {tab === "diff" && (
          <DiffTab cluster={cluster} release={release} revisions={revisions.map((r) => r.revision)} shown={d.revision} params={params} onPick={update} />
        )}
      </div>
    </div>
  );
}

function Values({ detail }: { detail: ReleaseDetail }) {
  return (
    <>
      <div className="hint hint-info">The values supplied at install or upgrade (helm get values); the chart&apos;s defaults are not shown. Viewing them is audited.</div>
      {detail.valuesYaml ? (
        <YamlView text={detail.valuesYaml} fileName={`${detail.name}-v${detail.revision}-values.yaml`} testId="helm-values" />
      ) : (
        <Empty title="No user-supplied values: the chart's defaults apply" />
      )}
    </>
  );
}

function Resources({ cluster, detail }: { cluster: string; detail: ReleaseDetail }) {
  if (!detail.resources.length) return <Empty title="The manifest declares no objects" />;
  return (
    <table className="mini-table wide" data-testid="helm-resources">
      <thead>
        <tr>
          <th>Kind</th>
          <th>Namespace</th>
          <th>Name</th>
          <th>API version</th>
        </tr>
      </thead>
      <tbody>
        {detail.resources.map((r) => {
          const href = resourceHref(cluster, r);
          return (
            <tr key={`${r.apiVersion}/${r.kind}/${r.namespace}/${r.name}`}>
              <td>{r.kind}</td>
              <td className="mono">{r.namespace || "—"}</td>
              <td className="mono">{href ? <Link to={href}>{r.name}</Link> : r.name}</td>
              <td className="mono text-muted">{r.apiVersion}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

interface HistoryProps {
  history: { isPending: boolean; isError: boolean; error: unknown; data?: ReleaseHistory };
  shown: number;
  now: number;
  onShow: (revision: number) => void;
  onDiff: (from: number, to: number) => void;
}

function History({ history, shown, now, onShow, onDiff }: HistoryProps) {
  if (history.isPending) return <Loading label="Loading the history…" />;
  if (history.isError || !history.data) return <ErrorState error={history.error} />;
  const rows = history.data.revisions;
  return (
    <table className="mini-table wide" data-testid="helm-history">
      <thead>
        <tr>
          <th>Revision</th>
          <th>Updated</th>
          <th>Status</th>
          <th>Chart</th>
          <th>App version</th>
          <th>Description</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {rows.map((r: ReleaseSummary, i) => {
          const previous = rows[i + 1];
          return (
            <tr key={r.revision} className={r.revision === shown ? "selected" : undefined}>
              <td>{r.revision}</td>
              <td title={formatTimestamp(r.updated)}>{formatAge(r.updated, now)}</td>
              <td>
                <Status value={r.status} tone={helmTone(r.status)} />
              </td>
              <td className="mono">{chartText(r)}</td>
              <td>{r.appVersion ?? "—"}</td>
              <td className="reason">{r.problem ?? r.description ?? ""}</td>
              <td className="helm-row-actions">
                <button type="button" className="btn btn-small" onClick={() => onShow(r.revision)} disabled={r.revision === shown}>
                  View
                </button>
                {previous && (
                  <button type="button" className="btn btn-small" onClick={() => onDiff(previous.revision, r.revision)}>
                    Diff with {previous.revision}
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

interface DiffProps {
  cluster: string;
  release: { namespace: string; name: string };
  revisions: number[];
  shown: number;
  params: URLSearchParams;
  onPick: (next: Params) => void;
}

function DiffTab({ cluster, release, revisions, shown, params, onPick }: DiffProps) {
  const fallback = defaultDiff(revisions, shown);
  const from = Number(params.get("from")) || fallback?.from || 0;
  const to = Number(params.get("to")) || fallback?.to || 0;
  const [text, setText] = useState<"manifest" | "values">("manifest");
  const diff = useQuery({
    queryKey: ["helm-diff", cluster, release.namespace, release.name, from, to],
    queryFn: ({ signal }) => getJson<ReleaseDiff>(helmUrl(cluster, release, "diff", { from, to }), signal),
    enabled: from > 0 && to > 0 && from !== to,
    retry: false,
  });
  const picker = (label: string, key: "from" | "to", value: number) => (
    <label className="helm-picker">
      {label}
      <select className="input" aria-label={`${label} revision`} value={value || ""} onChange={(e) => onPick({ [key]: e.target.value })}>
        {!value && <option value="">—</option>}
        {revisions.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <div className="helm-diff" data-testid="helm-diff">
      <div className="helm-diff-pick">
        {picker("From", "from", from)}
        {picker("To", "to", to)}
      </div>
      {revisions.length < 2 ? (
        <Empty title="This release has a single revision: nothing to compare" />
      ) : from === to || !from || !to ? (
        <Empty title="Pick two different revisions" />
      ) : diff.isPending ? (
        <Loading label="Comparing revisions…" />
      ) : diff.isError ? (
        <ErrorState error={diff.error} onRetry={() => void diff.refetch()} />
      ) : (
        <>
          <section className="panel" aria-label="Changed objects">
            <h2 className="panel-title">
              Objects <span className="count">{changeSummary(diff.data.changes) || "no change"}</span>
            </h2>
            {diff.data.changes.map((c) => (
              <ObjectChangeView key={`${c.kind}/${c.namespace ?? ""}/${c.name}`} change={c} />
            ))}
          </section>
          <section className="panel" aria-label="Changed values">
            <h2 className="panel-title">
              Values <span className="count">{diff.data.valueChanges.length || "no change"}</span>
            </h2>
            {diff.data.valueChanges.length > 0 && (
              <ul className="changes">
                {diff.data.valueChanges.map((c) => (
                  <ChangeRow key={c.path} change={c} owners={[]} />
                ))}
              </ul>
            )}
          </section>
          <div className="helm-diff-text">
            <div className="segmented" role="group" aria-label="Text to compare">
              {(["manifest", "values"] as const).map((t) => (
                <button type="button" key={t} className={t === text ? "on" : ""} aria-pressed={t === text} onClick={() => setText(t)}>
                  {t === "manifest" ? "Manifest" : "Values"}
                </button>
              ))}
            </div>
            <Suspense fallback={<Loading label="Loading the diff view…" />}>
              <TextDiff
                id={`helm/${cluster}/${release.namespace}/${release.name}/${text}/${from}..${to}`}
                original={text === "manifest" ? diff.data.fromManifest : diff.data.fromValues}
                modified={text === "manifest" ? diff.data.toManifest : diff.data.toValues}
              />
            </Suspense>
          </div>
        </>
      )}
    </div>
  );
}

const MARK: Record<ObjectChange["change"], string> = { added: "+", removed: "−", modified: "~" };

function ObjectChangeView({ change }: { change: ObjectChange }) {
  const where = change.namespace ? `${change.namespace}/${change.name}` : change.name;
  return (
    // Objects only relabelled by the upgrade stay folded, so the changes that matter stand out.
    <details className={`helm-object helm-object-${change.change}`} open={(change.fields?.length && beyondLabels(change)) || undefined}>
      <summary>
        <span className="change-op">{MARK[change.change]}</span> <span className="kind-chip">{change.kind}</span> <span className="mono">{where}</span>{" "}
        <span className="text-muted">{change.change}</span>
      </summary>
      {change.fields && change.fields.length > 0 && (
        <ul className="changes">
          {change.fields.map((f) => (
            <ChangeRow key={f.path} change={f} owners={[]} />
          ))}
        </ul>
      )}
    </details>
  );
}
