import { useState } from "react";
import { send } from "../api/client";
import { csrfToken } from "../api/csrf";
import { API } from "../api/paths";
import type { Whoami } from "../api/types";
import { formatTimestamp } from "../ui/format";

function initials(user: Whoami): string {
  const source = user.email || user.subject;
  return source.replace(/@.*/, "").split(/[._-]/).filter(Boolean).slice(0, 2).map((p) => p[0]?.toUpperCase()).join("") || "?";
}

/** Signs this browser out with a CSRF-protected POST, then shows the server's signed-out page. */
async function signOut(): Promise<void> {
  try {
    await send("POST", API.logout);
  } finally {
    window.location.assign("/api/auth/loggedout");
  }
}

/** The avatar and its popover: who you are, your groups, tier and audit scope, and sign-out. */
export function UserMenu({ user }: { user: Whoami }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="user-menu">
      <button type="button" className="avatar" onClick={() => setOpen(!open)} aria-expanded={open} aria-label="Account" title={user.email || user.subject}>
        {initials(user)}
      </button>
      {open && (
        <div className="popover" role="dialog" aria-label="Account">
          <div className="popover-name">{user.email || user.subject}</div>
          {user.email && user.email !== user.subject && <div className="text-muted mono">{user.subject}</div>}
          <dl className="facts">
            {user.tier && (
              <>
                <dt>Tier</dt>
                <dd>
                  <span className="badge">{user.tier}</span>
                </dd>
              </>
            )}
            {user.authzMode && (
              <>
                <dt>Access</dt>
                <dd>{user.authzMode}</dd>
              </>
            )}
            <dt>Groups</dt>
            <dd>{user.groups?.length ? user.groups.join(", ") : <span className="text-muted">none</span>}</dd>
            {user.auditScope && (
              <>
                <dt>Audit</dt>
                <dd>{user.auditScope === "all" ? "sees everyone’s actions" : "sees own actions"}</dd>
              </>
            )}
            {Boolean(user.expiresAt) && (
              <>
                <dt>Session</dt>
                <dd>until {formatTimestamp(new Date((user.expiresAt ?? 0) * 1000).toISOString())}</dd>
              </>
            )}
          </dl>
          {user.mode !== "dev" && (
            <div className="popover-actions">
              <button type="button" className="btn btn-small" onClick={() => void signOut()}>
                Sign out
              </button>
              {/* A form post (ADR 0009): its answer redirects the browser to the identity provider's sign-out. */}
              <form method="post" action={API.logoutEverywhere}>
                <input type="hidden" name="csrf_token" value={csrfToken(document.cookie) ?? ""} />
                <button type="submit" className="btn btn-small" title="End your sessions in every browser">
                  Sign out everywhere
                </button>
              </form>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
