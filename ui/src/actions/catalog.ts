/** Which actions an object offers, and the exact permission each one needs (ADR 0007's table). */

import type { AccessCheck } from "../access/canI";
import type { KubeObject } from "../api/types";
import type { Gvr } from "../list/spec";

export type ActionId =
  | "exec"
  | "scale"
  | "restart"
  | "cordon"
  | "uncordon"
  | "suspend"
  | "resume"
  | "trigger"
  | "labels"
  | "delete";

export interface ActionDef {
  id: ActionId;
  label: string;
  /** Every check must pass for the button to be enabled. */
  checks: AccessCheck[];
  danger?: boolean;
}

/** The object an action bar is for. */
export interface ActionTarget {
  /** The console's plural; actions, logs and labels are routed by it. */
  plural: string;
  gvr: Gvr;
  /** Custom resources have no console plural: only edit and delete apply. */
  custom: boolean;
  namespace: string;
  name: string;
}

const SCALABLE = ["deployments", "statefulsets", "replicasets"];
const RESTARTABLE = ["deployments", "statefulsets", "daemonsets"];
/** Kinds whose logs the server merges: a pod, or every pod of a workload. */
export const LOG_KINDS = ["pods", "deployments", "statefulsets", "daemonsets", "jobs"];

function on(target: ActionTarget, verb: string, subresource?: string): AccessCheck {
  return {
    verb,
    group: target.gvr.group,
    resource: target.gvr.resource,
    subresource,
    namespace: target.namespace || undefined,
    name: target.name,
  };
}

function flag(object: KubeObject | undefined, field: string): boolean {
  return object?.spec?.[field] === true;
}

/** The actions for an object, in toolbar order; `object` decides toggles (cordon or uncordon...).
 * Editing and logs are tabs of the detail pane, gated there. */
export function actionsFor(target: ActionTarget, object: KubeObject | undefined): ActionDef[] {
  const { plural } = target;
  const actions: ActionDef[] = [];
  if (!target.custom && plural === "pods") {
    actions.push({ id: "exec", label: "Terminal", checks: [on(target, "create", "exec")] });
  }
  if (!target.custom && SCALABLE.includes(plural)) {
    actions.push({ id: "scale", label: "Scale", checks: [on(target, "patch", "scale")] });
  }
  if (!target.custom && RESTARTABLE.includes(plural)) {
    actions.push({ id: "restart", label: "Restart", checks: [on(target, "patch")] });
  }
  if (!target.custom && plural === "nodes") {
    const cordoned = flag(object, "unschedulable");
    actions.push({ id: cordoned ? "uncordon" : "cordon", label: cordoned ? "Uncordon" : "Cordon", checks: [on(target, "patch")] });
  }
  if (!target.custom && plural === "cronjobs") {
    const suspended = flag(object, "suspend");
    actions.push({ id: suspended ? "resume" : "suspend", label: suspended ? "Resume" : "Suspend", checks: [on(target, "patch")] });
    actions.push({
      id: "trigger",
      label: "Trigger now",
      checks: [{ verb: "create", group: "batch", resource: "jobs", namespace: target.namespace }],
    });
  }
  if (!target.custom) actions.push({ id: "labels", label: "Labels", checks: [on(target, "patch")] });
  actions.push({ id: "delete", label: "Delete", checks: [on(target, "delete")], danger: true });
  return actions;
}

/** The merge patch for a label edit: changed and new keys with their value, removed keys as null. */
export function labelPatch(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(after)) if (before[key] !== value) patch[key] = value;
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  return patch;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Why a label key or value would be refused by the apiserver, or "" when it is valid. */
export function labelProblem(key: string, value: string): string {
  if (!LABEL_KEY.test(key) || key.split("/")[0]!.length > 253) return `“${key}” is not a valid label key`;
  if (!LABEL_VALUE.test(value)) return `“${value}” is not a valid label value (63 characters: letters, digits, - _ .)`;
  return "";
}
