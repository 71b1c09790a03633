import { useState } from "react";
import { API } from "../api/paths";
import type { Whoami } from "../api/types";

function initials(user: Whoami): string {
  const source = user.email || user.subject;
  return source.replace(/@.*/, "").split(/[._-]/).filter(Boolean).slice(0, 2).map((p) => p[0]?.toUpperCase()).join("") || "?";
}

/** The avatar and its popover: who you are, your groups and tier, and sign-out. */
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
          {user.email && <div className="text-muted mono">{user.subject}</div>}
          <dl className="facts">
            {user.tier && (
              <>
                <dt>Tier</dt>
                <dd>{user.tier}</dd>
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
          </dl>
          {user.mode !== "dev" && (
            <a className="btn btn-small" href={API.logout}>
              Sign out
            </a>
          )}
        </div>
      )}
    </div>
  );
}
