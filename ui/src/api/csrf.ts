/** The CSRF token (ADR 0009): a readable cookie named after the session cookie with a `_csrf` suffix,
 * sent back in the X-CSRF-Token header on every POST, PUT, PATCH and DELETE. The server publishes the
 * cookie's name in /api/auth/config (the session cookie's name is configurable). */

export const CSRF_HEADER = "X-CSRF-Token";
const DEFAULT_COOKIE = "periscope_session_csrf";
let published: string | undefined;

/** The cookie name /api/auth/config announced; until it has loaded, the default name is looked for. */
export function setCsrfCookieName(name: string | undefined): void {
  published = name || undefined;
}

/** The token in a `document.cookie` string: the published (else default) cookie wins, else any `*_csrf`
 * cookie. Undefined in dev mode, where there is no session cookie. */
export function csrfToken(cookies: string, cookieName: string = published ?? DEFAULT_COOKIE): string | undefined {
  let fallback: string | undefined;
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    const value = decodeURIComponent(part.slice(eq + 1).trim());
    if (!value) continue;
    if (name === cookieName) return value;
    if (name.endsWith("_csrf")) fallback ??= value;
  }
  return fallback;
}
