import { describe, expect, it } from "vitest";
import type { ManagedFieldsEntry } from "../api/types";
import { dominant, ownedLines, ownersOf, ownerText } from "./ownership";

const TEXT = `spec:
  replicas: 3
  paused: false
`;
const entries: ManagedFieldsEntry[] = [
  { manager: "kubectl-client-side-apply", class: "human", fields: [".spec.replicas", ".spec.paused"] },
  { manager: "argocd-controller", class: "gitops", fields: [".spec.replicas", ".spec.gone"] },
];

describe("ownership gutter", () => {
  it("maps owned fields to lines with every owner", () => {
    expect(ownedLines(TEXT, entries)).toEqual([
      { line: 2, owners: [{ manager: "kubectl-client-side-apply", class: "human" }, { manager: "argocd-controller", class: "gitops" }] },
      { line: 3, owners: [{ manager: "kubectl-client-side-apply", class: "human" }] },
    ]);
  });

  it("owns nothing while the YAML does not parse", () => {
    expect(ownedLines("spec: [", entries)).toEqual([]);
  });

  it("puts reverting managers first and says they revert", () => {
    const owners = ownersOf(".spec.replicas", entries);
    expect(dominant(owners)?.manager).toBe("argocd-controller");
    expect(ownerText(owners)).toBe(
      "Owned by kubectl-client-side-apply (human), argocd-controller (gitops). argocd-controller will revert edits to this field.",
    );
    expect(ownerText([{ manager: "k", class: "human" }])).toBe("Owned by k (human).");
  });
});
