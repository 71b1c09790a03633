import { describe, expect, it } from "vitest";
import { matchesWords, rank, score } from "./search";

const c = (kind: string, name: string, namespace = "") => ({ kind, name, namespace });

describe("palette search", () => {
  it("scores exact, prefix, contains and namespace matches", () => {
    expect(score(c("pods", "web"), "WEB")).toBe(100);
    expect(score(c("pods", "web-0"), "web")).toBe(70);
    expect(score(c("pods", "shop-web-0"), "web")).toBe(40);
    expect(score(c("pods", "db-0", "webshop"), "web")).toBe(20);
    expect(score(c("pods", "db-0", "data"), "web")).toBe(0);
  });

  it("orders by score then name and caps each kind", () => {
    const candidates = [c("pods", "web-b"), c("pods", "web-a"), c("services", "web"), c("pods", "my-web"), c("pods", "db")];
    expect(rank(candidates, "web").map((x) => `${x.kind}/${x.name}`)).toEqual([
      "services/web",
      "pods/web-a",
      "pods/web-b",
      "pods/my-web",
    ]);
    expect(rank(candidates, "web", 1).map((x) => x.name)).toEqual(["web", "web-a"]);
  });

  it("matches command labels word by word", () => {
    expect(matchesWords("Go to Pods on prod", "prod pods")).toBe(true);
    expect(matchesWords("Go to Pods on prod", "staging")).toBe(false);
  });
});
