/** The detail pane's actions, each enabled only when RBAC allows exactly what it writes. */

import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { combine, UNCHECKED } from "../access/canI";
import { useAccess } from "../access/useAccess";
import { ApiError } from "../api/client";
import type { KubeObject } from "../api/types";
import { useTerminals } from "../terminal/TerminalContext";
import { GatedButton } from "../ui/GatedButton";
import type { IconName } from "../ui/Icon";
import { useToast } from "../ui/toast";
import { actionsFor, type ActionId, type ActionTarget } from "./catalog";
import { ConfirmDialog, LabelsDialog, ScaleDialog } from "./dialogs";
import { outcomeTitle, perform, type Performable } from "./run";

const ICONS: Record<ActionId, IconName> = {
  exec: "terminal",
  scale: "scale",
  restart: "restart",
  cordon: "ban",
  uncordon: "check",
  suspend: "pause",
  resume: "play",
  trigger: "zap",
  labels: "tag",
  delete: "trash",
};

/** Actions that ask first; the others run on click. */
const ASKS = new Set<ActionId>(["scale", "restart", "trigger", "labels", "delete"]);

interface Props {
  cluster: string;
  kind: string;
  target: ActionTarget;
  object: KubeObject | undefined;
}

export function ActionBar({ cluster, kind, target, object }: Props) {
  const actions = actionsFor(target, object);
  const gates = useAccess(cluster, actions.flatMap((a) => a.checks));
  const terminals = useTerminals();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState<Performable | null>(null);
  const [busy, setBusy] = useState<Performable | null>(null);

  const run = async (id: Performable, body?: unknown) => {
    setBusy(id);
    try {
      const outcome = await perform(cluster, target, id, body);
      setAsking(null);
      const warned = outcome.warnings.length > 0;
      toast({
        tone: warned ? "warn" : "ok",
        title: outcomeTitle(id, target.name),
        body: [outcome.detail, ...outcome.warnings].filter(Boolean).join(" "),
      });
      void queryClient.invalidateQueries({ queryKey: ["object", cluster] });
      void queryClient.invalidateQueries({ queryKey: ["list", cluster] });
    } catch (error) {
      const message = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
      toast({ tone: "bad", title: `Could not ${id} ${target.name}`, body: message });
    } finally {
      setBusy(null);
    }
  };

  const click = (id: ActionId) => {
    if (id === "exec") terminals.open({ cluster, namespace: target.namespace, pod: target.name });
    else if (ASKS.has(id)) setAsking(id);
    else void run(id);
  };

  let offset = 0;
  const actionGates = actions.map((a) => combine(gates.slice(offset, (offset += a.checks.length))));
  const common = { busy: busy !== null, onCancel: () => setAsking(null) };
  return (
    <div className="action-bar" role="toolbar" aria-label="Actions">
      {actions.map((action, i) => (
        <GatedButton
          key={action.id}
          gate={actionGates[i] ?? UNCHECKED}
          label={action.label}
          icon={ICONS[action.id]}
          danger={action.danger}
          busy={busy === action.id}
          onClick={() => click(action.id)}
        />
      ))}
      {asking === "scale" && (
        <ScaleDialog {...common} name={target.name} current={Number(object?.spec?.replicas ?? 0)} onScale={(replicas) => void run("scale", { replicas })} />
      )}
      {asking === "labels" && (
        <LabelsDialog {...common} name={target.name} labels={object?.metadata.labels ?? {}} onSave={(labels) => void run("labels", { labels })} />
      )}
      {asking === "restart" && (
        <ConfirmDialog
          {...common}
          title={`Restart ${target.name}?`}
          message={`Every pod of this ${kind} is replaced, a few at a time, as its rollout strategy allows.`}
          label="Restart"
          onConfirm={() => void run("restart")}
        />
      )}
      {asking === "trigger" && (
        <ConfirmDialog
          {...common}
          title={`Run ${target.name} now?`}
          message="A Job is created from the CronJob's template, owned by the CronJob, outside its schedule."
          label="Create job"
          onConfirm={() => void run("trigger")}
        />
      )}
      {asking === "delete" && (
        <ConfirmDialog
          {...common}
          title={`Delete ${kind} ${target.name}?`}
          message={`${target.namespace ? `In namespace ${target.namespace}. ` : ""}Its dependents are deleted in the background. This cannot be undone.`}
          label="Delete"
          typeToConfirm={target.name}
          onConfirm={() => void run("delete")}
        />
      )}
    </div>
  );
}
