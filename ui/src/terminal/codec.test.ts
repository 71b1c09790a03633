import { describe, expect, it } from "vitest";
import { binaryStdinFrame, CLOSE_FRAME, decodeServerFrame, describeEnd, encodeCommand, PONG_FRAME, resizeFrame, stdinFrame } from "./codec";

describe("terminal frames from the browser", () => {
  it("sends keystrokes as UTF-8 bytes", () => {
    expect(Array.from(stdinFrame("ls\r"))).toEqual([0x6c, 0x73, 0x0d]);
    expect(Array.from(stdinFrame("é"))).toEqual([0xc3, 0xa9]);
  });

  it("sends xterm's binary strings byte for byte", () => {
    expect(Array.from(binaryStdinFrame("\x1b[M\xff"))).toEqual([0x1b, 0x5b, 0x4d, 0xff]);
  });

  it("sends resize, close and pong as JSON text frames", () => {
    expect(resizeFrame(120.7, 40)).toBe('{"type":"resize","cols":120,"rows":40}');
    expect(resizeFrame(0, 99999)).toBe('{"type":"resize","cols":1,"rows":65535}');
    expect(JSON.parse(CLOSE_FRAME)).toEqual({ type: "close" });
    expect(JSON.parse(PONG_FRAME)).toEqual({ type: "pong" });
  });

  it("encodes the command as unpadded URL-safe base64 of a JSON array", () => {
    const param = encodeCommand(["sh", "-c", "echo ?>"]);
    expect(param).not.toMatch(/[+/=]/);
    const json = atob(param.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (param.length % 4)) % 4));
    expect(JSON.parse(json)).toEqual(["sh", "-c", "echo ?>"]);
  });
});

describe("terminal frames from the server", () => {
  it("passes binary frames through as output", () => {
    const bytes = new Uint8Array([104, 105]);
    expect(decodeServerFrame(bytes.buffer)).toEqual({ type: "output", data: bytes });
  });

  it("decodes every control message", () => {
    expect(decodeServerFrame('{"type":"hello","sessionId":"s1","container":"app","transport":"ws_v5"}')).toEqual({
      type: "hello",
      sessionId: "s1",
      container: "app",
      transport: "ws_v5",
    });
    expect(decodeServerFrame('{"type":"idle_warn","secondsRemaining":30}')).toEqual({ type: "idle_warn", secondsRemaining: 30 });
    expect(decodeServerFrame('{"type":"ping"}')).toEqual({ type: "ping" });
    expect(decodeServerFrame('{"type":"closed","reason":"container_exit","exitCode":2}')).toEqual({
      type: "closed",
      reason: "container_exit",
      exitCode: 2,
    });
  });

  it("keeps the active sessions of a cap error", () => {
    const frame = JSON.stringify({
      type: "error",
      code: "E_CAP_USER",
      message: "you have 5 sessions open",
      activeSessions: [{ sessionId: "a", pod: "web-0" }],
    });
    const message = decodeServerFrame(frame);
    expect(message).toMatchObject({ type: "error", code: "E_CAP_USER", retryable: false });
    expect(message?.type === "error" && message.activeSessions.map((s) => s.sessionId)).toEqual(["a"]);
  });

  it("ignores unknown messages and reports garbage", () => {
    expect(decodeServerFrame('{"type":"future_thing"}')).toBeNull();
    expect(decodeServerFrame("not json")).toMatchObject({ type: "error", code: "E_PROTOCOL" });
  });
});

describe("how a session ended", () => {
  it("prefers the server's reason and shows a failing exit code", () => {
    expect(describeEnd({ reason: "container_exit", exitCode: 0 }, 1000)).toBe("The shell exited.");
    expect(describeEnd({ reason: "container_exit", exitCode: 127 }, 1000)).toBe("The shell exited. Exit code 127.");
    expect(describeEnd({ reason: "server_idle", exitCode: null }, 1000)).toMatch(/without input/);
  });

  it("reads close codes when no closed message came", () => {
    expect(describeEnd(null, 4429)).toBe("Too many open sessions.");
    expect(describeEnd(null, 1006)).toBe("The connection was lost.");
    expect(describeEnd(null, 4404)).toBe("The server ended the session (HTTP 404).");
  });
});
