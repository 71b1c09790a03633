/** Wire shapes of the Periscope HTTP API (camelCase JSON). */

export interface ClusterInfo {
  name: string;
  backend: string;
  execEnabled: boolean;
  region?: string;
  environment?: string;
  tags?: Record<string, string>;
}

export interface Features {
  watchStreams: string[];
  version: string;
  commit?: string;
  channel?: string;
}

/** The fields every summary row has; kinds add their own (phase, ready, replicas...). */
export interface Row {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  createdAt: string;
  labels: Record<string, string>;
  [field: string]: unknown;
}

export interface ListPage<R = Row> {
  items: R[];
  continue?: string;
  resourceVersion?: string;
}

export interface PrinterColumn {
  name: string;
  jsonPath: string;
  type: string;
  description?: string;
  priority?: number;
}

export interface CustomListPage extends ListPage {
  columns: PrinterColumn[];
  scope: "Namespaced" | "Cluster";
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated: boolean;
  printerColumns: PrinterColumn[];
}

export interface CrdInfo {
  name: string;
  group: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: "Namespaced" | "Cluster";
  versions: CrdVersion[];
  servedVersion: string;
  storageVersion: string;
  createdAt: string;
}

export interface Whoami {
  subject: string;
  email?: string;
  groups?: string[];
  mode?: string;
  authzMode?: string;
  tier?: string;
  auditEnabled?: boolean;
  /** "all" for audit admins, "self" for everyone else; absent with audit off. */
  auditScope?: "self" | "all";
  /** The session's absolute expiry (epoch seconds); 0 in dev mode. */
  expiresAt?: number;
}

export interface AuthConfig {
  authMode: "oidc" | "dev";
  providerName?: string;
  /** Dev mode: everybody is one fixed identity. */
  devBanner?: boolean;
  /** With sign-in: the readable cookie holding the CSRF token, and the header it goes back in. */
  csrfCookie?: string;
  csrfHeader?: string;
}

/** A Kubernetes object as the detail endpoint returns it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    [field: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

/** The classes of field managers the server sorts managedFields into (ADR 0007). */
export type ManagerClass = "periscope" | "gitops" | "helm" | "human" | "controller" | "unknown";

/** One difference of an apply against the live object; paths are spelled as the apiserver spells them. */
export interface Change {
  path: string;
  op: "add" | "remove" | "change";
  before?: unknown;
  after?: unknown;
}

/** A change touches fields a GitOps tool or Helm owns: they will put their value back. */
export interface OwnershipWarning {
  manager: string;
  class: ManagerClass;
  fields: string[];
  message: string;
}

/** `PATCH .../resources/...` and the actions answer with this. */
export interface ApplyResult {
  object: KubeObject;
  dryRun: boolean;
  diff: Change[];
  warnings: OwnershipWarning[];
}

/** One field of a 409 apply conflict. */
export interface FieldConflict {
  field: string;
  manager: string;
  class: ManagerClass;
  message: string;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  subresource?: string;
  class: ManagerClass;
  fields: string[];
}

/** `GET .../meta`: who owns what, for the editor's gutter and drift checks. */
export interface ObjectMeta {
  resourceVersion: string;
  generation?: number;
  managedFields: ManagedFieldsEntry[];
}
