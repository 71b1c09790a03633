/** The editor's JSON schema for one kind, cut from the cluster's OpenAPI v3 document (CRDs included). */

export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

interface OpenApiDocument {
  components?: { schemas?: Record<string, SchemaObject> };
}

type SchemaObject = Record<string, unknown>;

/** The document of a group-version under `/openapi/v3/`: `api/v1` for core, `apis/{group}/{version}` otherwise. */
export function documentPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The schema name of a kind, from its `x-kubernetes-group-version-kind`. */
export function schemaName(doc: OpenApiDocument, gvk: Gvk): string | null {
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    const kinds = schema["x-kubernetes-group-version-kind"];
    if (!Array.isArray(kinds)) continue;
    if (kinds.some((k: Gvk) => k.group === gvk.group && k.version === gvk.version && k.kind === gvk.kind)) return name;
  }
  return null;
}

const COMPONENTS = "#/components/schemas/";
const DEFINITIONS = "#/definitions/";

/** Objects with declared properties reject unknown ones, so a misspelt field is flagged while typing
 * (the apiserver drops or refuses it); schemas that keep unknown fields stay open. References move from
 * OpenAPI's `components` to JSON Schema's `definitions`, which the YAML language service resolves. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== "object") return schema;
  const out: SchemaObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$ref" && typeof value === "string" && value.startsWith(COMPONENTS)) out[key] = DEFINITIONS + value.slice(COMPONENTS.length);
    else if (key === "properties") out[key] = Object.fromEntries(Object.entries(value as SchemaObject).map(([k, v]) => [k, closed(v)]));
    else out[key] = closed(value);
  }
  if (out.properties && out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"]) {
    out.additionalProperties = false;
  }
  return out;
}

/** A self-contained schema for the kind: its own schema at the root, every other one under `definitions`. */
export function editorSchema(doc: OpenApiDocument, gvk: Gvk): SchemaObject | null {
  const name = schemaName(doc, gvk);
  const schemas = doc.components?.schemas ?? {};
  if (!name || !schemas[name]) return null;
  const definitions = closed(schemas) as Record<string, SchemaObject>;
  return { ...definitions[name], definitions };
}
