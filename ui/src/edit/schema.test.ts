import { describe, expect, it } from "vitest";
import { documentPath, editorSchema, schemaName } from "./schema";

const doc = {
  components: {
    schemas: {
      "io.k8s.api.apps.v1.Deployment": {
        type: "object",
        "x-kubernetes-group-version-kind": [{ group: "apps", kind: "Deployment", version: "v1" }],
        properties: { spec: { allOf: [{ $ref: "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec" }] } },
      },
      "io.k8s.api.apps.v1.DeploymentSpec": {
        type: "object",
        properties: { replicas: { type: "integer" }, template: { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: { a: {} } } },
      },
      "io.k8s.apimachinery.pkg.apis.meta.v1.Labels": { type: "object", additionalProperties: { type: "string" } },
    },
  },
};

describe("editor schema from OpenAPI v3", () => {
  it("names the document of a group-version", () => {
    expect(documentPath("", "v1")).toBe("api/v1");
    expect(documentPath("apps", "v1")).toBe("apis/apps/v1");
  });

  it("finds a kind by its group-version-kind", () => {
    expect(schemaName(doc, { group: "apps", version: "v1", kind: "Deployment" })).toBe("io.k8s.api.apps.v1.Deployment");
    expect(schemaName(doc, { group: "apps", version: "v1", kind: "StatefulSet" })).toBeNull();
  });

  it("puts the kind at the root and closed schemas under definitions, so misspelt fields are flagged", () => {
    const schema = editorSchema(doc, { group: "apps", version: "v1", kind: "Deployment" }) as Record<string, unknown> & {
      definitions: Record<string, Record<string, unknown>>;
    };
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties).toEqual({ spec: { allOf: [{ $ref: "#/definitions/io.k8s.api.apps.v1.DeploymentSpec" }] } });
    const spec = schema.definitions["io.k8s.api.apps.v1.DeploymentSpec"]!;
    expect(spec.additionalProperties).toBe(false);
    expect((spec.properties as Record<string, Record<string, unknown>>).template!.additionalProperties).toBeUndefined();
    expect(schema.definitions["io.k8s.apimachinery.pkg.apis.meta.v1.Labels"]!.additionalProperties).toEqual({ type: "string" });
    expect(editorSchema(doc, { group: "x", version: "v1", kind: "Y" })).toBeNull();
  });
});
