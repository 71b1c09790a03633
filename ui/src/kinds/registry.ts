/** The kinds the console knows by name: one entry drives the sidebar, the list, the detail pane and the palette. */

import type { Row } from "../api/types";
import type { Column, SortSpec } from "../table/logic";
import { ageColumn, eventColumns, KIND_COLUMNS, nameColumn, namespaceColumn } from "./columns";

export interface KindDef {
  plural: string;
  kind: string;
  title: string;
  section: Section;
  namespaced: boolean;
  /** Kubernetes API group ("" for core), for owner-reference links, edits and access checks. */
  group: string;
  version: string;
  /** The Kubernetes resource name (the console's plural is shorter for a few kinds). */
  resource: string;
  /** Polling period (seconds) when no live stream is available. */
  pollSeconds: number;
}

export const SECTIONS = ["Workloads", "Network", "Config", "Storage", "Access control", "Cluster"] as const;
export type Section = (typeof SECTIONS)[number];

function k(
  plural: string,
  kind: string,
  title: string,
  section: Section,
  namespaced: boolean,
  group: string,
  pollSeconds = 30,
): KindDef {
  const version = group === "autoscaling" ? "v2" : "v1";
  const resource = RESOURCE_NAMES[plural] ?? plural;
  return { plural, kind, title, section, namespaced, group, version, resource, pollSeconds };
}

const RESOURCE_NAMES: Record<string, string> = { pvcs: "persistentvolumeclaims", pvs: "persistentvolumes" };

// Fast-moving kinds poll every 15 s, slow ones every 60 s, as the original console did.
export const KINDS: readonly KindDef[] = [
  k("pods", "Pod", "Pods", "Workloads", true, "", 15),
  k("deployments", "Deployment", "Deployments", "Workloads", true, "apps"),
  k("statefulsets", "StatefulSet", "StatefulSets", "Workloads", true, "apps"),
  k("daemonsets", "DaemonSet", "DaemonSets", "Workloads", true, "apps"),
  k("replicasets", "ReplicaSet", "ReplicaSets", "Workloads", true, "apps"),
  k("jobs", "Job", "Jobs", "Workloads", true, "batch"),
  k("cronjobs", "CronJob", "CronJobs", "Workloads", true, "batch"),
  k("horizontalpodautoscalers", "HorizontalPodAutoscaler", "HPAs", "Workloads", true, "autoscaling"),
  k("poddisruptionbudgets", "PodDisruptionBudget", "PDBs", "Workloads", true, "policy"),
  k("services", "Service", "Services", "Network", true, ""),
  k("ingresses", "Ingress", "Ingresses", "Network", true, "networking.k8s.io"),
  k("networkpolicies", "NetworkPolicy", "NetworkPolicies", "Network", true, "networking.k8s.io"),
  k("endpointslices", "EndpointSlice", "EndpointSlices", "Network", true, "discovery.k8s.io", 15),
  k("ingressclasses", "IngressClass", "IngressClasses", "Network", false, "networking.k8s.io", 60),
  k("configmaps", "ConfigMap", "ConfigMaps", "Config", true, ""),
  k("secrets", "Secret", "Secrets", "Config", true, ""),
  k("resourcequotas", "ResourceQuota", "ResourceQuotas", "Config", true, "", 60),
  k("limitranges", "LimitRange", "LimitRanges", "Config", true, "", 60),
  k("pvcs", "PersistentVolumeClaim", "PVCs", "Storage", true, ""),
  k("pvs", "PersistentVolume", "PVs", "Storage", false, ""),
  k("storageclasses", "StorageClass", "StorageClasses", "Storage", false, "storage.k8s.io", 60),
  k("serviceaccounts", "ServiceAccount", "ServiceAccounts", "Access control", true, "", 60),
  k("roles", "Role", "Roles", "Access control", true, "rbac.authorization.k8s.io", 60),
  k("rolebindings", "RoleBinding", "RoleBindings", "Access control", true, "rbac.authorization.k8s.io", 60),
  k("clusterroles", "ClusterRole", "ClusterRoles", "Access control", false, "rbac.authorization.k8s.io", 60),
  k("clusterrolebindings", "ClusterRoleBinding", "ClusterRoleBindings", "Access control", false, "rbac.authorization.k8s.io", 60),
  k("nodes", "Node", "Nodes", "Cluster", false, ""),
  k("namespaces", "Namespace", "Namespaces", "Cluster", false, "", 60),
  k("events", "Event", "Events", "Cluster", true, "", 15),
  k("priorityclasses", "PriorityClass", "PriorityClasses", "Cluster", false, "scheduling.k8s.io", 60),
  k("runtimeclasses", "RuntimeClass", "RuntimeClasses", "Cluster", false, "node.k8s.io", 60),
];

const BY_PLURAL = new Map(KINDS.map((def) => [def.plural, def]));
const BY_KIND = new Map(KINDS.map((def) => [`${def.group}/${def.kind}`, def]));

export function kindByPlural(plural: string): KindDef | undefined {
  return BY_PLURAL.get(plural);
}

/** The registry entry for an ownerReference's apiVersion and kind, if the console lists that kind. */
export function kindByApiVersion(apiVersion: string, kind: string): KindDef | undefined {
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0] ?? "" : "";
  return BY_KIND.get(`${group}/${kind}`);
}

/** The list columns for a kind; the namespace column is dropped when one namespace is shown. */
export function kindColumns(def: KindDef, allNamespaces: boolean): Column<Row>[] {
  if (def.plural === "events") return allNamespaces ? [...eventColumns, namespaceColumn] : eventColumns;
  const middle = KIND_COLUMNS[def.plural] ?? [];
  const ns = def.namespaced && allNamespaces ? [namespaceColumn] : [];
  return [nameColumn, ...ns, ...middle, ageColumn];
}

/** Events read newest first; everything else by namespace and name. */
export function defaultSort(plural: string): SortSpec | null {
  return plural === "events" ? { column: "lastSeen", desc: false } : null;
}
