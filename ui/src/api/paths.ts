/** URL builders for the HTTP API; every path segment is encoded so a name cannot escape its place. */

/** What a list shows: a built-in kind by its console plural, or a custom resource by group/version/plural. */
export interface Source {
  plural: string;
  crd?: { group: string; version: string };
}

export interface ListQuery {
  namespace?: string;
  limit?: number;
  continueToken?: string;
  labelSelector?: string;
}

const enc = encodeURIComponent;

/** A stable string for query keys and maps. */
export function sourceKey(source: Source): string {
  return source.crd ? `${source.crd.group}/${source.crd.version}/${source.plural}` : source.plural;
}

function base(cluster: string, source: Source): string {
  const root = `/api/clusters/${enc(cluster)}`;
  if (!source.crd) return `${root}/${enc(source.plural)}`;
  return `${root}/customresources/${enc(source.crd.group)}/${enc(source.crd.version)}/${enc(source.plural)}`;
}

function search(params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}

export function listUrl(cluster: string, source: Source, query: ListQuery = {}): string {
  return (
    base(cluster, source) +
    search({
      namespace: query.namespace,
      limit: query.limit,
      continue: query.continueToken,
      labelSelector: query.labelSelector,
    })
  );
}

export function watchUrl(cluster: string, source: Source, namespace?: string): string {
  return `${base(cluster, source)}/watch${search({ namespace })}`;
}

export type ObjectView = "" | "yaml" | "events";

/** One object; custom resources write a cluster-scoped object's namespace as "_". */
export function objectUrl(
  cluster: string,
  source: Source,
  namespace: string,
  name: string,
  view: ObjectView = "",
): string {
  let path = base(cluster, source);
  if (source.crd) path += `/${enc(namespace || "_")}`;
  else if (namespace) path += `/${enc(namespace)}`;
  path += `/${enc(name)}`;
  return view ? `${path}/${view}` : path;
}

/** What the editing, action and log routes need to name one object. */
export interface ObjectRef {
  cluster: string;
  group: string;
  version: string;
  resource: string;
  namespace: string;
  name: string;
}

export type ResourceView = "" | "meta" | "yaml";

/** The editor's routes: `/resources/{group}/{version}/{resource}[/{ns}]/{name}[/meta|/yaml]` ("core" is the core group). */
export function resourceUrl(ref: ObjectRef, view: ResourceView = "", query: Record<string, string | number | undefined> = {}): string {
  let path = `/api/clusters/${enc(ref.cluster)}/resources/${enc(ref.group || "core")}/${enc(ref.version)}/${enc(ref.resource)}`;
  if (ref.namespace) path += `/${enc(ref.namespace)}`;
  path += `/${enc(ref.name)}`;
  return (view ? `${path}/${view}` : path) + search(query);
}

/** Action routes use the console's plural: `/{plural}[/{ns}]/{name}/{action}`. */
export function actionUrl(cluster: string, plural: string, namespace: string, name: string, action: string): string {
  const ns = namespace ? `/${enc(namespace)}` : "";
  return `/api/clusters/${enc(cluster)}/${enc(plural)}${ns}/${enc(name)}/${enc(action)}`;
}

export function secretKeyUrl(cluster: string, namespace: string, name: string, key: string): string {
  return `/api/clusters/${enc(cluster)}/secrets/${enc(namespace)}/${enc(name)}/data/${enc(key)}`;
}

export function logsUrl(
  cluster: string,
  plural: string,
  namespace: string,
  name: string,
  params: Record<string, string | number | undefined>,
): string {
  return `/api/clusters/${enc(cluster)}/${enc(plural)}/${enc(namespace)}/${enc(name)}/logs${search(params)}`;
}

export function execUrl(
  cluster: string,
  namespace: string,
  pod: string,
  params: Record<string, string | undefined>,
  check = false,
): string {
  const tail = check ? "/exec/check" : "/exec";
  return `/api/clusters/${enc(cluster)}/pods/${enc(namespace)}/${enc(pod)}${tail}${search(params)}`;
}

export type HelmView = "" | "history" | "diff";

/** The Helm release browser: the list without a release, else one release's detail, history or diff. */
export function helmUrl(
  cluster: string,
  release?: { namespace: string; name: string },
  view: HelmView = "",
  params: Record<string, string | number | undefined> = {},
): string {
  let path = `/api/clusters/${enc(cluster)}/helm/releases`;
  if (release) path += `/${enc(release.namespace)}/${enc(release.name)}${view ? `/${view}` : ""}`;
  return path + search(params);
}

export function openApiUrl(cluster: string, path = ""): string {
  return `/api/clusters/${enc(cluster)}/openapi/v3/${path.split("/").map(enc).join("/")}`;
}

export const API = {
  clusters: "/api/clusters",
  features: "/api/features",
  fleet: "/api/fleet",
  whoami: "/api/auth/whoami",
  authConfig: "/api/auth/config",
  login: "/api/auth/login",
  logout: "/api/auth/logout",
  logoutEverywhere: "/api/auth/logout/everywhere",
  execSessions: "/api/exec/sessions",
  crds: (cluster: string) => `/api/clusters/${enc(cluster)}/crds`,
  canI: (cluster: string) => `/api/clusters/${enc(cluster)}/can-i`,
  karpenter: (cluster: string) => `/api/clusters/${enc(cluster)}/karpenter`,
  eksInsights: (cluster: string) => `/api/clusters/${enc(cluster)}/eks/upgrade-insights`,
  eksInsight: (cluster: string, id: string) => `/api/clusters/${enc(cluster)}/eks/upgrade-insights/${enc(id)}`,
  eksNodegroups: (cluster: string) => `/api/clusters/${enc(cluster)}/eks/nodegroups`,
  eksAddons: (cluster: string) => `/api/clusters/${enc(cluster)}/eks/addons`,
} as const;
