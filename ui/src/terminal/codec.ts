/** The exec WebSocket's frames (periscope_core.protocols.terminal): binary frames are terminal bytes,
 * text frames small JSON control messages. No I/O here, so every frame is tested as bytes. */

export interface SessionSummary {
  sessionId: string;
  user: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  tty: boolean;
  startedAt: string;
  state: "opening" | "open";
  transport?: string;
  recording?: boolean;
}

export type ServerMessage =
  | { type: "output"; data: Uint8Array }
  | { type: "hello"; sessionId: string; container: string; transport: string }
  | { type: "idle_warn"; secondsRemaining: number }
  | { type: "ping" }
  | { type: "closed"; reason: string; exitCode: number | null }
  | { type: "error"; code: string; message: string; retryable: boolean; activeSessions: SessionSummary[] };

const encoder = new TextEncoder();

/** Keystrokes (xterm's onData) as a binary stdin frame. */
export function stdinFrame(data: string): Uint8Array {
  return encoder.encode(data);
}

/** xterm's onBinary gives one character per byte (mouse reports in some modes). */
export function binaryStdinFrame(data: string): Uint8Array {
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i) & 0xff;
  return bytes;
}

export function resizeFrame(cols: number, rows: number): string {
  const clamp = (n: number) => Math.max(1, Math.min(0xffff, Math.floor(n)));
  return JSON.stringify({ type: "resize", cols: clamp(cols), rows: clamp(rows) });
}

export const CLOSE_FRAME = JSON.stringify({ type: "close" });
export const PONG_FRAME = JSON.stringify({ type: "pong" });

function text(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

/** One frame from the server; null for a control message this client does not know (forward compatible). */
export function decodeServerFrame(frame: ArrayBuffer | Uint8Array | string): ServerMessage | null {
  if (typeof frame !== "string") return { type: "output", data: frame instanceof Uint8Array ? frame : new Uint8Array(frame) };
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(frame) as Record<string, unknown>;
  } catch {
    return { type: "error", code: "E_PROTOCOL", message: "the server sent an unreadable control frame", retryable: false, activeSessions: [] };
  }
  switch (body.type) {
    case "hello":
      return { type: "hello", sessionId: text(body.sessionId), container: text(body.container), transport: text(body.transport) };
    case "idle_warn":
      return { type: "idle_warn", secondsRemaining: Number(body.secondsRemaining ?? 0) };
    case "ping":
      return { type: "ping" };
    case "closed":
      return { type: "closed", reason: text(body.reason), exitCode: typeof body.exitCode === "number" ? body.exitCode : null };
    case "error":
      return {
        type: "error",
        code: text(body.code, "E_EXEC"),
        message: text(body.message, "the session failed"),
        retryable: body.retryable === true,
        activeSessions: Array.isArray(body.activeSessions) ? (body.activeSessions as SessionSummary[]) : [],
      };
    default:
      return null;
  }
}

/** The command query parameter: URL-safe base64 of a JSON array of strings, no padding. */
export function encodeCommand(argv: readonly string[]): string {
  const bytes = encoder.encode(JSON.stringify(argv));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const REASONS: Record<string, string> = {
  client_close: "You closed the session.",
  server_idle: "Closed after a period without input.",
  heartbeat_timeout: "The connection stopped answering.",
  forced_close: "An administrator closed this session.",
  container_exit: "The shell exited.",
  denied: "Not allowed.",
  auth_expired: "Your sign-in ended; sign in again to open a shell.",
};

/** A sentence for the end of a session, from the server's `closed` message or the socket's close code. */
export function describeEnd(closed: { reason: string; exitCode: number | null } | null, code: number): string {
  if (closed) {
    const reason = REASONS[closed.reason] ?? `Closed (${closed.reason}).`;
    return closed.exitCode !== null && closed.exitCode !== 0 ? `${reason} Exit code ${closed.exitCode}.` : reason;
  }
  if (code === 1000) return "Session ended.";
  if (code === 1006) return "The connection was lost.";
  if (code === 1008 || code === 4403) return "The server refused the session.";
  if (code === 4429) return "Too many open sessions.";
  if (code >= 4000 && code < 5000) return `The server ended the session (HTTP ${code - 4000}).`;
  return `The connection closed (code ${code}).`;
}
