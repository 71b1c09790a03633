import { describe, expect, it } from "vitest";
import {
  appendLines,
  decodeLogEvent,
  DEFAULT_OPTIONS,
  EMPTY_BUFFER,
  formatStamp,
  highlight,
  lineAt,
  logParams,
  podColour,
  rowOffsets,
  wrappedRows,
} from "./model";

const sse = (event: string, data: string) => ({ event, data, id: undefined });

describe("log events", () => {
  it("decodes lines with and without a pod", () => {
    expect(decodeLogEvent(sse("message", '{"t":"2024-05-01T10:00:00Z","l":"GET /","p":"web-1"}'))).toEqual({
      type: "line",
      t: "2024-05-01T10:00:00Z",
      text: "GET /",
      pod: "web-1",
    });
    expect(decodeLogEvent(sse("message", '{"t":"x","l":""}'))).toMatchObject({ text: "", pod: "" });
  });

  it("decodes meta, done, per-pod errors and unknown events", () => {
    const meta = decodeLogEvent(sse("meta", '{"pods":[{"name":"a","node":"n"}],"total":12,"limit":10,"message":"newest 10 of 12"}'));
    expect(meta).toEqual({ type: "meta", pods: [{ name: "a", node: "n" }], total: 12, limit: 10, message: "newest 10 of 12" });
    expect(decodeLogEvent(sse("done", "{}"))).toEqual({ type: "done" });
    expect(decodeLogEvent(sse("auth_expired", "{}"))).toEqual({ type: "auth_expired" });
    expect(decodeLogEvent(sse("error", '{"message":"container is waiting","pod":"b"}'))).toEqual({
      type: "error",
      message: "container is waiting",
      pod: "b",
    });
    expect(decodeLogEvent(sse("novel", "{}"))).toBeNull();
    expect(decodeLogEvent(sse("message", "{oops"))).toMatchObject({ type: "error" });
  });
});

describe("log buffer", () => {
  const line = (text: string) => ({ t: "", text, pod: "" });

  it("numbers lines in arrival order across batches", () => {
    const first = appendLines(EMPTY_BUFFER, [line("a"), line("b")]);
    const second = appendLines(first, [line("c")]);
    expect(second.lines.map((l) => [l.seq, l.text])).toEqual([[0, "a"], [1, "b"], [2, "c"]]);
    expect(appendLines(second, [])).toBe(second);
  });

  it("drops the oldest lines beyond the cap and counts them", () => {
    const buffer = appendLines(appendLines(EMPTY_BUFFER, [line("a"), line("b")], 3), [line("c"), line("d")], 3);
    expect(buffer.lines.map((l) => l.text)).toEqual(["b", "c", "d"]);
    expect(buffer.dropped).toBe(1);
    expect(buffer.nextSeq).toBe(4);
  });
});

describe("pod colours", () => {
  it("gives listed pods distinct slots in order and others a stable one", () => {
    const pods = [{ name: "a", node: "" }, { name: "b", node: "" }];
    expect(podColour("a", pods)).toBe(0);
    expect(podColour("b", pods)).toBe(1);
    expect(podColour("zzz", pods)).toBe(podColour("zzz", []));
    expect(podColour("zzz", [])).toBeGreaterThanOrEqual(0);
  });
});

describe("log request", () => {
  it("leaves defaults out and asks for a finished, stamped text for downloads", () => {
    expect(logParams(DEFAULT_OPTIONS)).toEqual({
      container: undefined,
      follow: "true",
      previous: undefined,
      tailLines: "500",
      sinceSeconds: undefined,
      grep: undefined,
      regex: undefined,
      timestamps: undefined,
      download: undefined,
    });
    const download = logParams({ ...DEFAULT_OPTIONS, container: "app", grep: "err", regex: true, tailLines: 0 }, true);
    expect(download).toMatchObject({ container: "app", follow: "false", grep: "err", regex: "true", timestamps: "true", download: "1" });
    expect(download.tailLines).toBeUndefined();
  });
});

describe("display", () => {
  it("formats stamps as local wall-clock time with milliseconds", () => {
    expect(formatStamp("2024-05-01T10:00:00.123Z")).toMatch(/^\d\d:\d\d:00\.123$/);
    expect(formatStamp("garbage")).toBe("garbage");
  });

  it("highlights plain and regex matches", () => {
    expect(highlight("a.b a.b", "a.b", false)).toEqual([
      { text: "a.b", match: true },
      { text: " ", match: false },
      { text: "a.b", match: true },
    ]);
    expect(highlight("code=500 code=200", "code=5\\d\\d", true)).toEqual([
      { text: "code=500", match: true },
      { text: " code=200", match: false },
    ]);
    expect(highlight("x", "(", true)).toEqual([{ text: "x", match: false }]);
    expect(highlight("abc", "", false)).toEqual([{ text: "abc", match: false }]);
  });

  it("computes wrapped rows and finds the line at a row", () => {
    expect(wrappedRows("", 80)).toBe(1);
    expect(wrappedRows("x".repeat(161), 80)).toBe(3);
    const offsets = rowOffsets([1, 3, 1]);
    expect(offsets).toEqual([0, 1, 4, 5]);
    expect(lineAt(offsets, 0)).toBe(0);
    expect(lineAt(offsets, 2)).toBe(1);
    expect(lineAt(offsets, 4)).toBe(2);
    expect(lineAt([0], 3)).toBe(0);
  });
});
