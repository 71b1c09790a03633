/** The CSRF token (ADR 0009): a readable cookie named after the session cookie with a `_csrf` suffix,
 * sent back in the X-CSRF-Token header on every POST, PUT, PATCH and DELETE. */

export const CSRF_HEADER = "X-CSRF-Token";
const DEFAULT_COOKIE = "periscope_session_csrf";

/** The token in a `document.cookie` string; the default cookie name wins, else any `*_csrf` cookie
 * (the session cookie's name is configurable). Undefined in dev mode, where there is no session cookie. */
export function csrfToken(cookies: string): string | undefined {
  let fallback: string | undefined;
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    const value = decodeURIComponent(part.slice(eq + 1).trim());
    if (!value) continue;
    if (name === DEFAULT_COOKIE) return value;
    if (name.endsWith("_csrf")) fallback ??= value;
  }
  return fallback;
}
