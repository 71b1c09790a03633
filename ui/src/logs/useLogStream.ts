/** Reads a log stream into a bounded buffer, flushed to React at most every 100 ms. */

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { ApiError, fetchOk, isMissingEndpoint } from "../api/client";
import { SseParser } from "../stream/sse";
import { appendLines, decodeLogEvent, EMPTY_BUFFER, type LogBuffer, type LogLine, type LogPod } from "./model";

export type LogStatus = "connecting" | "streaming" | "done" | "failed" | "unavailable";

export interface LogState {
  buffer: LogBuffer;
  status: LogStatus;
  pods: LogPod[];
  /** Why only some pods are read (the server caps a workload's pods). */
  capMessage: string;
  /** Per-pod failures and the stream's own, newest last, each once. */
  errors: string[];
}

const FLUSH_MS = 100;
const INITIAL: LogState = { buffer: EMPTY_BUFFER, status: "connecting", pods: [], capMessage: "", errors: [] };

/** A new url (other options) or generation (a reload) starts a new stream. */
export function useLogStream(url: string, generation: number): LogState {
  const [state, setState] = useState<LogState>(INITIAL);
  const queryClient = useQueryClient();

  useEffect(() => {
    setState(INITIAL);
    const controller = new AbortController();
    let pending: Omit<LogLine, "seq">[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const batch = pending;
      pending = [];
      if (batch.length) setState((s) => ({ ...s, buffer: appendLines(s.buffer, batch) }));
    };
    const patch = (change: (s: LogState) => Partial<LogState>) => {
      flush();
      setState((s) => ({ ...s, ...change(s) }));
    };
    const addError = (message: string) => patch((s) => ({ errors: s.errors.includes(message) ? s.errors : [...s.errors, message] }));

    const run = async () => {
      const response = await fetchOk(url, { headers: { Accept: "text/event-stream" }, signal: controller.signal });
      if (!response.body || !(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
        throw new ApiError(404, "E_NOT_FOUND", "this server has no log stream");
      }
      patch(() => ({ status: "streaming" }));
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const raw of parser.feed(value)) {
          const event = decodeLogEvent(raw);
          if (!event) continue;
          if (event.type === "line") {
            pending.push({ t: event.t, text: event.text, pod: event.pod });
            timer ??= setTimeout(flush, FLUSH_MS);
          } else if (event.type === "meta") {
            patch(() => ({ pods: event.pods, capMessage: event.message }));
          } else if (event.type === "error") {
            addError(event.pod ? `${event.pod}: ${event.message}` : event.message);
          } else if (event.type === "server_shutdown") {
            addError("The server is restarting; reopen the logs in a moment.");
          } else if (event.type === "auth_expired") {
            addError("Your session has ended: sign in again to keep reading.");
            patch(() => ({ status: "failed" }));
            // The sign-in screen follows from whoami, as for live lists.
            void queryClient.invalidateQueries({ queryKey: ["whoami"] });
            return;
          }
        }
      }
      patch(() => ({ status: "done" }));
    };
    run().catch((error: unknown) => {
      if (controller.signal.aborted) return;
      if (isMissingEndpoint(error)) {
        patch(() => ({ status: "unavailable" }));
        return;
      }
      const message = error instanceof ApiError ? `${error.code}: ${error.message}` : "The log stream was interrupted.";
      addError(message);
      patch(() => ({ status: "failed" }));
    });
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [url, generation, queryClient]);

  return state;
}
