/** RBAC pre-flight: the checks an action needs, and what the server's answers mean for a button. */

export interface AccessCheck {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** One answer of `POST /api/clusters/{c}/can-i`; `namespaces` lists where a denied check would be allowed. */
export interface AccessResult {
  allowed: boolean;
  reason: string;
  namespaces?: string[] | null;
}

export type GateState = "allowed" | "denied" | "unknown";

/** Whether a button is enabled and, when it is not (or the answer is unknown), why. */
export interface Gate {
  state: GateState;
  reason: string;
}

export const ALLOWED: Gate = { state: "allowed", reason: "" };
export const CHECKING: Gate = { state: "unknown", reason: "Checking your permissions…" };
export const UNCHECKED: Gate = {
  state: "unknown",
  reason: "Your permissions could not be checked in advance; the cluster decides when you try.",
};

/** A stable identity for a check, to de-duplicate a batch and key the cache. */
export function checkKey(check: AccessCheck): string {
  return [check.verb, check.group, check.resource, check.subresource ?? "", check.namespace ?? "", check.name ?? ""].join("|");
}

/** "patch deployments/scale", as RBAC spells a permission. */
export function permission(check: AccessCheck): string {
  const resource = check.subresource ? `${check.resource}/${check.subresource}` : check.resource;
  const group = check.group ? `.${check.group}` : "";
  return `${check.verb} ${resource}${group}`;
}

const MAX_NAMESPACES = 5;

function elsewhere(namespaces: readonly string[] | null | undefined): string {
  if (!namespaces) return "";
  if (namespaces.length === 0) return " It is not allowed in any namespace you can see.";
  const shown = namespaces.slice(0, MAX_NAMESPACES).join(", ");
  const more = namespaces.length > MAX_NAMESPACES ? ` and ${namespaces.length - MAX_NAMESPACES} more` : "";
  return ` You can do it in: ${shown}${more}.`;
}

/** The gate for one check and its answer (undefined while the answer is not in). */
export function gate(check: AccessCheck, result: AccessResult | undefined): Gate {
  if (!result) return UNCHECKED;
  if (result.allowed) return ALLOWED;
  const where = check.namespace ? ` in namespace ${check.namespace}` : "";
  switch (result.reason) {
    case "timeout":
      return { state: "denied", reason: "The permission check timed out; try again in a moment." };
    case "apiserver_unreachable":
      return { state: "denied", reason: "The cluster could not be reached to check your permission." };
    case "unauthenticated":
      return { state: "denied", reason: "Sign in to do this." };
    default:
      return {
        state: "denied",
        reason: `Not allowed: you lack ${permission(check)}${where}.${check.namespace ? elsewhere(result.namespaces) : ""}`,
      };
  }
}

/** Every check must pass; the first refusal explains the whole gate. */
export function combine(gates: readonly Gate[]): Gate {
  return gates.find((g) => g.state === "denied") ?? gates.find((g) => g.state === "unknown") ?? ALLOWED;
}
