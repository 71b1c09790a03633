import { describe, expect, it } from "vitest";
import { SseParser } from "./sse";

describe("SseParser", () => {
  it("parses named events with ids and JSON data", () => {
    const parser = new SseParser();
    const events = parser.feed('event: snapshot\nid: 42\ndata: {"items":[]}\n\n');
    expect(events).toEqual([{ event: "snapshot", id: "42", data: '{"items":[]}' }]);
    expect(parser.lastEventId).toBe("42");
  });

  it("reassembles events split at any byte", () => {
    const text = "event: added\r\nid: 7\r\ndata: {\"a\":1}\r\n\r\n: ping\r\n\r\nevent: deleted\ndata: x\n\n";
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.feed(text.slice(0, cut)), ...parser.feed(text.slice(cut))];
      expect(events.map((e) => e.event), `cut at ${cut}`).toEqual(["added", "deleted"]);
      expect(events[0]?.data).toBe('{"a":1}');
    }
  });

  it("ignores comments such as the server's pings", () => {
    const parser = new SseParser();
    expect(parser.feed(": ping\n\n: ping\n\n")).toEqual([]);
  });

  it("joins multi-line data and defaults the event name to message", () => {
    const parser = new SseParser();
    expect(parser.feed("data: one\ndata: two\n\n")).toEqual([{ event: "message", data: "one\ntwo", id: undefined }]);
  });

  it("keeps the last id even for an event without data", () => {
    const parser = new SseParser();
    parser.feed("id: 9\n\n");
    expect(parser.lastEventId).toBe("9");
  });
});
