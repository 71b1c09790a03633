import { describe, expect, it } from "vitest";
import { tokenizeLine } from "./yamlTokens";

const classes = (line: string) => tokenizeLine(line).map((t) => `${t.cls}:${t.text}`);

describe("tokenizeLine", () => {
  it("splits keys from typed values", () => {
    expect(classes("  replicas: 3")).toEqual(["plain:  ", "key:replicas", "punct:: ", "num:3"]);
    expect(classes("ready: true")).toEqual(["key:ready", "punct:: ", "bool:true"]);
    expect(classes('name: "web"')).toEqual(["key:name", "punct:: ", 'str:"web"']);
    expect(classes("value: null")).toEqual(["key:value", "punct:: ", "null:null"]);
  });

  it("handles list items, keys inside items and nested mappings", () => {
    expect(classes("- name: web")).toEqual(["punct:- ", "key:name", "punct:: ", "plain:web"]);
    expect(classes("  - 80")).toEqual(["plain:  ", "punct:- ", "num:80"]);
    expect(classes("metadata:")).toEqual(["key:metadata", "punct::"]);
  });

  it("keeps keys with dots and slashes whole and values with colons intact", () => {
    expect(classes("  app.kubernetes.io/name: web")).toEqual(["plain:  ", "key:app.kubernetes.io/name", "punct:: ", "plain:web"]);
    expect(classes("image: nginx:1.27")).toEqual(["key:image", "punct:: ", "plain:nginx:1.27"]);
  });

  it("marks comments and loses no characters", () => {
    const line = "  port: 8080 # http";
    expect(tokenizeLine(line).map((t) => t.text).join("")).toBe(line);
    expect(classes("# top")).toEqual(["comment:# top"]);
  });
});
