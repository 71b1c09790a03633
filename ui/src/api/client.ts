/** Fetch helpers: every failure becomes an ApiError carrying the server's code and message. */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }

}

async function failure(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: string; message?: string };
    return new ApiError(response.status, body.error ?? "E_HTTP", body.message ?? response.statusText);
  } catch {
    return new ApiError(response.status, "E_HTTP", text.trim() || response.statusText || `HTTP ${response.status}`);
  }
}

async function request(path: string, accept: string, signal?: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { Accept: accept }, credentials: "same-origin", signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, "E_NETWORK", "the Periscope server cannot be reached");
  }
  if (!response.ok) throw await failure(response);
  return response;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await request(path, "application/json", signal);
  return (await response.json()) as T;
}

export async function getText(path: string, signal?: AbortSignal): Promise<string> {
  const response = await request(path, "application/yaml, text/plain", signal);
  return response.text();
}

/** Whether a feature endpoint failed because this server does not have it (yet). */
export function isMissingEndpoint(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 405);
}
