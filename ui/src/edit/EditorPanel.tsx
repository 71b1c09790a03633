/** Editing an object as YAML: dry run first, conflicts per field, drift while open. Loaded lazily with Monaco. */

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useAccess } from "../access/useAccess";
import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiError, getJson, getText, send } from "../api/client";
import { objectUrl, openApiUrl, resourceUrl, type ObjectRef } from "../api/paths";
import type { ApplyResult, Change, FieldConflict, KubeObject, ObjectMeta } from "../api/types";
import type { ObjectTarget } from "../detail/DetailPane";
import { Icon } from "../ui/Icon";
import { ErrorState, Loading } from "../ui/states";
import { useToast } from "../ui/toast";
import { CodeEditor } from "./CodeEditor";
import { initialChoices, resolve } from "./conflicts";
import { objectChanges, writersOf, type Writer } from "./drift";
import { DriftBanner } from "./DriftBanner";
import { ReviewPanel, type Review } from "./ReviewPanel";
import { documentPath, editorSchema } from "./schema";

interface Base {
  yaml: string;
  object: KubeObject;
  meta: ObjectMeta;
}

interface Drift {
  changes: Change[];
  writers: Writer[];
}

export interface EditorProps extends ObjectTarget {
  /** The object's resourceVersion as the live list last saw it. */
  liveVersion: string | undefined;
}

function errorText(error: unknown): string {
  return error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
}

export default function EditorPanel({ cluster, spec, selection, liveVersion }: EditorProps) {
  const ref: ObjectRef = { cluster, ...spec.gvr, namespace: selection.namespace, name: selection.name };
  const uri = `file:///${[cluster, spec.gvr.group || "core", spec.gvr.resource, selection.namespace || "_", selection.name].map(encodeURIComponent).join("/")}.yaml`;
  const toast = useToast();
  const queryClient = useQueryClient();
  const [base, setBase] = useState<Base | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [text, setText] = useState("");
  const [problems, setProblems] = useState<string[]>([]);
  const [review, setReview] = useState<Review | null>(null);
  const [failure, setFailure] = useState("");
  const [busy, setBusy] = useState(false);
  const [force, setForce] = useState(false);
  const [showOwners, setShowOwners] = useState(true);
  const [drift, setDrift] = useState<Drift | null>(null);
  const [access] = useAccess(cluster, [
    { verb: "patch", group: spec.gvr.group, resource: spec.gvr.resource, namespace: selection.namespace || undefined, name: selection.name },
  ]);
  const readOnly = access?.state === "denied";

  const fetchLive = useCallback(
    async (): Promise<Base> => {
      const [yaml, object, meta] = await Promise.all([
        getText(resourceUrl(ref, "yaml")),
        getJson<KubeObject>(objectUrl(cluster, spec.source, selection.namespace, selection.name)),
        getJson<ObjectMeta>(resourceUrl(ref, "meta")),
      ]);
      return { yaml, object, meta };
    },
    // The ref is derived from these.
    [cluster, spec, selection.namespace, selection.name],
  );

  const load = useCallback(async () => {
    try {
      const live = await fetchLive();
      setBase(live);
      setText(live.yaml);
      setDrift(null);
      setLoadError(null);
    } catch (error) {
      setLoadError(error);
    }
  }, [fetchLive]);

  useEffect(() => {
    void load();
  }, [load]);

  const docPath = documentPath(spec.gvr.group, spec.gvr.version);
  const openapi = useQuery({
    queryKey: ["openapi", cluster, docPath],
    queryFn: ({ signal }) => getJson<Record<string, unknown>>(openApiUrl(cluster, docPath), signal),
    staleTime: 5 * 60_000,
    retry: false,
  });
  const schema = useMemo(
    () => (openapi.data ? editorSchema(openapi.data, { group: spec.gvr.group, version: spec.gvr.version, kind: spec.kind }) : null),
    [openapi.data, spec],
  );

  // Drift: the live list saw a new version; compare the spec, ignoring status churn.
  const baseVersion = base?.meta.resourceVersion ?? base?.object.metadata.resourceVersion;
  useEffect(() => {
    if (!base || !liveVersion || liveVersion === baseVersion) return;
    let cancelled = false;
    void fetchLive()
      .then((live) => {
        if (cancelled) return;
        const changes = objectChanges(base.object, live.object);
        if (changes.length === 0) {
          setBase((b) => (b ? { ...b, object: live.object, meta: live.meta } : b));
          return;
        }
        setDrift({ changes, writers: writersOf(changes, live.meta) });
        setBase((b) => (b ? { ...b, meta: live.meta } : b));
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [liveVersion, baseVersion, base, fetchLive]);

  const submit = async (dryRun: boolean, withForce: boolean, manifest = text) => {
    setBusy(true);
    setFailure("");
    try {
      const query = { dryRun: dryRun ? "true" : undefined, force: withForce ? "true" : undefined };
      const result = await send<ApplyResult>("PATCH", resourceUrl(ref, "", query), manifest, "application/yaml");
      if (!result) return;
      if (dryRun) {
        setReview({ kind: "preview", result, force: withForce });
        return;
      }
      setReview({ kind: "applied", result });
      // Our own write is not drift: move the base before the live list reports the new version.
      setBase((b) => (b ? { ...b, object: result.object, meta: { ...b.meta, resourceVersion: result.object.metadata.resourceVersion ?? "" } } : b));
      toast({
        tone: result.warnings.length ? "warn" : "ok",
        title: `Applied ${result.diff.length} change${result.diff.length === 1 ? "" : "s"} to ${selection.name}`,
        body: result.warnings.map((w) => w.message).join(" "),
      });
      void queryClient.invalidateQueries({ queryKey: ["object", cluster] });
      await load();
    } catch (error) {
      const conflicts = error instanceof ApiError && error.status === 409 ? (error.body.conflicts as FieldConflict[] | undefined) : undefined;
      if (conflicts?.length) setReview({ kind: "conflicts", conflicts, choices: initialChoices(conflicts) });
      else setFailure(errorText(error));
    } finally {
      setBusy(false);
    }
  };

  if (loadError) return <ErrorState error={loadError} attempt={{ verb: "get", resource: spec.gvr.resource, namespace: selection.namespace }} onRetry={() => void load()} />;
  if (!base) return <Loading label="Loading the editable YAML…" />;

  const dirty = text !== base.yaml;
  return (
    <div className="editor" data-testid="editor">
      {drift && <DriftBanner changes={drift.changes} writers={drift.writers} dirty={dirty} onReload={() => void load()} onDismiss={() => setDrift(null)} />}
      {readOnly && (
        <div className="editor-readonly" role="note">
          <Icon name="lock" size={13} /> Read-only. {access?.reason}
        </div>
      )}
      <div className="editor-bar">
        <button type="button" className="btn btn-small btn-accent" disabled={busy || readOnly} onClick={() => void submit(true, force)} title="Dry run on the server (Ctrl+S)">
          {busy ? <span className="spinner spinner-small" aria-hidden="true" /> : <Icon name="eye" size={13} />}
          Review changes
        </button>
        <label className="check" title="Take over fields other managers own">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Force
        </label>
        <label className="check" title="Show which manager owns each field">
          <input type="checkbox" checked={showOwners} onChange={(e) => setShowOwners(e.target.checked)} /> Owners
        </label>
        <button type="button" className="btn btn-small" disabled={!dirty} onClick={() => setText(base.yaml)}>
          Reset
        </button>
        <span className="editor-state">
          {problems.length > 0 ? (
            <span className="text-bad" title={problems.slice(0, 5).join("\n")}>
              {problems.length} problem{problems.length === 1 ? "" : "s"}
            </span>
          ) : (
            <span className="text-muted">{dirty ? "Edited" : "Unchanged"}</span>
          )}
          <span className="text-muted"> · v{baseVersion}</span>
          {openapi.isError && <span className="text-muted"> · no schema</span>}
        </span>
      </div>
      <OwnerLegend />
      <CodeEditor
        uri={uri}
        value={text}
        onChange={setText}
        schema={schema}
        owners={base.meta.managedFields}
        showOwners={showOwners}
        onProblems={setProblems}
        onSave={() => void submit(true, force)}
      />
      {failure && (
        <div className="review-error" role="alert">
          <Icon name="alert" size={14} /> {failure}
        </div>
      )}
      {review && (
        <ReviewPanel
          review={review}
          owners={base.meta.managedFields}
          busy={busy}
          onApply={(withForce) => void submit(false, withForce)}
          onChoose={(field, choice) =>
            review.kind === "conflicts" && setReview({ ...review, choices: { ...review.choices, [field]: choice } })
          }
          onResolve={() => {
            if (review.kind !== "conflicts") return;
            const resolution = resolve(text, review.conflicts, review.choices);
            setText(resolution.yaml);
            void submit(true, resolution.force, resolution.yaml);
          }}
          onClose={() => setReview(null)}
        />
      )}
    </div>
  );
}

function OwnerLegend() {
  return (
    <div className="owner-legend" aria-hidden="true">
      {(["gitops", "helm", "human", "controller", "periscope"] as const).map((c) => (
        <span key={c}>
          <span className={`legend-dot own-${c}`} />
          {c}
        </span>
      ))}
    </div>
  );
}
