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
}

export interface AuthConfig {
  authMode: "oidc" | "dev";
  providerName?: string;
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
