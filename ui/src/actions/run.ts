/** Performing an action: the request each one makes, and how its outcome reads in a toast. */

import { send } from "../api/client";
import { actionUrl, resourceUrl } from "../api/paths";
import type { ApplyResult } from "../api/types";
import type { ActionId, ActionTarget } from "./catalog";

export type Performable = Exclude<ActionId, "exec">;

export interface ActionOutcome {
  /** Ownership warnings: a GitOps or Helm manager will revert this. */
  warnings: string[];
  /** Extra words for the toast, e.g. the created Job's name. */
  detail: string;
}

const PAST: Record<Performable, string> = {
  scale: "Scaled",
  restart: "Restart requested for",
  cordon: "Cordoned",
  uncordon: "Uncordoned",
  suspend: "Suspended",
  resume: "Resumed",
  trigger: "Triggered",
  labels: "Labels saved on",
  delete: "Deletion requested for",
};

export function outcomeTitle(id: Performable, name: string): string {
  return `${PAST[id]} ${name}`;
}

/** Runs the action as the signed-in user; `body` is the scale or labels request. */
export async function perform(cluster: string, target: ActionTarget, id: Performable, body?: unknown): Promise<ActionOutcome> {
  if (id === "delete") {
    const ref = { cluster, ...target.gvr, namespace: target.namespace, name: target.name };
    await send("DELETE", resourceUrl(ref));
    return { warnings: [], detail: "It is removed once its finalizers and dependents are done." };
  }
  const url = actionUrl(cluster, target.plural, target.namespace, target.name, id);
  if (id === "trigger") {
    const job = await send<{ jobName: string }>("POST", url);
    return { warnings: [], detail: job?.jobName ? `Created job ${job.jobName}.` : "" };
  }
  const result = await send<ApplyResult>("POST", url, body);
  return { warnings: (result?.warnings ?? []).map((w) => w.message), detail: "" };
}
