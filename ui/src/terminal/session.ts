/** One exec session over the WebSocket: pre-flight, the socket, and what the pane shows about it. */

import { getJson, isMissingEndpoint } from "../api/client";
import { execUrl } from "../api/paths";
import {
  CLOSE_FRAME,
  decodeServerFrame,
  describeEnd,
  PONG_FRAME,
  resizeFrame,
  stdinFrame,
  binaryStdinFrame,
  type SessionSummary,
} from "./codec";

export interface TerminalTarget {
  cluster: string;
  namespace: string;
  pod: string;
  /** Empty: the pod's default container. */
  container?: string;
}

export interface Refusal {
  code: string;
  message: string;
  activeSessions: SessionSummary[];
}

export type Phase = "checking" | "connecting" | "open" | "ended" | "refused";

export interface SessionState {
  phase: Phase;
  container: string;
  transport: string;
  sessionId: string;
  /** When an idle warning came: the time the server will close the session. */
  idleDeadline: number | null;
  /** Why the session ended or never started. */
  message: string;
  refusal: Refusal | null;
}

export const INITIAL: SessionState = {
  phase: "checking",
  container: "",
  transport: "",
  sessionId: "",
  idleDeadline: null,
  message: "",
  refusal: null,
};

export const CAP_CODES = ["E_CAP_USER", "E_CAP_CLUSTER"];

interface Handlers {
  onOutput: (data: Uint8Array) => void;
  onState: (patch: Partial<SessionState>) => void;
}

export class TerminalSession {
  private socket: WebSocket | null = null;
  private closedMessage: { reason: string; exitCode: number | null } | null = null;
  private refusal: Refusal | null = null;
  private disposed = false;

  constructor(
    private readonly target: TerminalTarget,
    private readonly handlers: Handlers,
  ) {}

  /** Asks whether a session may start, then opens it; a refusal (cap, RBAC, disabled) never opens a socket. */
  async start(size: { cols: number; rows: number }): Promise<void> {
    this.handlers.onState({ ...INITIAL, phase: "checking" });
    const params = { container: this.target.container || undefined };
    try {
      const check = await getJson<{ allowed: boolean; error?: string; message?: string; activeSessions?: SessionSummary[] }>(
        execUrl(this.target.cluster, this.target.namespace, this.target.pod, params, true),
      );
      if (!check.allowed) {
        const refusal = { code: check.error ?? "E_EXEC", message: check.message ?? "exec is not allowed", activeSessions: check.activeSessions ?? [] };
        this.handlers.onState({ phase: "refused", refusal, message: refusal.message });
        return;
      }
    } catch (error) {
      // Without the pre-flight route, the socket itself says why it refuses.
      if (!isMissingEndpoint(error)) {
        const message = error instanceof Error ? error.message : String(error);
        this.handlers.onState({ phase: "refused", message, refusal: null });
        return;
      }
    }
    if (!this.disposed) this.connect(size);
  }

  private connect(size: { cols: number; rows: number }): void {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const path = execUrl(this.target.cluster, this.target.namespace, this.target.pod, {
      container: this.target.container || undefined,
      tty: "true",
    });
    const socket = new WebSocket(`${scheme}://${window.location.host}${path}`);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.handlers.onState({ phase: "connecting" });
    socket.onopen = () => socket.send(resizeFrame(size.cols, size.rows));
    socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => this.receive(event.data);
    socket.onclose = (event) => this.ended(event.code);
  }

  private receive(frame: ArrayBuffer | string): void {
    const message = decodeServerFrame(frame);
    if (!message) return;
    switch (message.type) {
      case "output":
        this.handlers.onOutput(message.data);
        break;
      case "hello":
        this.handlers.onState({ phase: "open", sessionId: message.sessionId, container: message.container, transport: message.transport });
        break;
      case "idle_warn":
        this.handlers.onState({ idleDeadline: Date.now() + message.secondsRemaining * 1000 });
        break;
      case "ping":
        this.socket?.send(PONG_FRAME);
        break;
      case "closed":
        this.closedMessage = message;
        break;
      case "error":
        this.refusal = { code: message.code, message: message.message, activeSessions: message.activeSessions };
        break;
    }
  }

  private ended(code: number): void {
    this.socket = null;
    if (this.disposed) return;
    const refusal = this.refusal;
    if (refusal && (CAP_CODES.includes(refusal.code) || code === 4429)) {
      this.handlers.onState({ phase: "refused", refusal, message: refusal.message, idleDeadline: null });
      return;
    }
    const message = refusal ? refusal.message : describeEnd(this.closedMessage, code);
    this.handlers.onState({ phase: "ended", message, refusal, idleDeadline: null });
  }

  input(data: string, binary = false): void {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(binary ? binaryStdinFrame(data) : stdinFrame(data));
    // Any byte resets the server's idle timer, so the warning no longer applies.
    this.handlers.onState({ idleDeadline: null });
  }

  resize(cols: number, rows: number): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(resizeFrame(cols, rows));
  }

  /** Ends the session politely; the pane stays to show how it ended. */
  close(): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(CLOSE_FRAME);
    this.socket?.close(1000);
  }

  dispose(): void {
    this.disposed = true;
    this.close();
  }
}
