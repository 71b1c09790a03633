/** Fetch helpers: every failure becomes an ApiError carrying the server's code, message and body. */

import { CSRF_HEADER, csrfToken } from "./csrf";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The decoded JSON body of the failure (a 409's `conflicts`, a cap's `activeSessions`...). */
  readonly body: Record<string, unknown>;

  constructor(status: number, code: string, message: string, body: Record<string, unknown> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

async function failure(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const code = typeof body.error === "string" ? body.error : "E_HTTP";
    const message = typeof body.message === "string" ? body.message : response.statusText;
    return new ApiError(response.status, code, message, body);
  } catch {
    return new ApiError(response.status, "E_HTTP", text.trim() || response.statusText || `HTTP ${response.status}`);
  }
}

/** fetch that throws ApiError for any failure, network or HTTP. */
export async function fetchOk(path: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: "same-origin", ...init });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new ApiError(0, "E_NETWORK", "the Periscope server cannot be reached");
  }
  if (!response.ok) throw await failure(response);
  return response;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetchOk(path, { headers: { Accept: "application/json" }, signal });
  return (await response.json()) as T;
}

export async function getText(path: string, signal?: AbortSignal): Promise<string> {
  const response = await fetchOk(path, { headers: { Accept: "application/yaml, text/plain" }, signal });
  return response.text();
}

/** Headers every change carries: the session's CSRF token (ADR 0009), when there is a session. */
function mutationHeaders(contentType?: string): Record<string, string> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (contentType) headers["Content-Type"] = contentType;
  const token = csrfToken(document.cookie);
  if (token) headers[CSRF_HEADER] = token;
  return headers;
}

type Method = "POST" | "PATCH" | "PUT" | "DELETE";

/** A change: JSON bodies are encoded, strings sent as `contentType`; a 204 resolves to null. */
export async function send<T>(
  method: Method,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<T | null> {
  const raw = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const response = await fetchOk(path, {
    method,
    headers: mutationHeaders(raw === undefined ? undefined : contentType),
    body: raw,
  });
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") ?? "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

/** Whether a feature endpoint failed because this server does not have it (yet): a 405, or a 404 that
 * names no route (a 404 for a missing object carries the apiserver's Status instead). */
export function isMissingEndpoint(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  return error.status === 405 || (error.status === 404 && !("status" in error.body));
}
