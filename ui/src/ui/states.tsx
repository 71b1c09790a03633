/** Loading, empty, error and "not available" states, so no screen is ever blank or a stack trace. */

import type { ReactNode } from "react";
import { ApiError } from "../api/client";
import { Icon } from "./Icon";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state">
      <div className="state-title">{title}</div>
      {children && <div className="state-body">{children}</div>}
    </div>
  );
}

/** What the user tried, so a denial can say which permission is missing. */
export interface Attempt {
  verb: string;
  resource: string;
  namespace?: string;
}

function deniedText(attempt: Attempt): string {
  const where = attempt.namespace ? `in namespace "${attempt.namespace}"` : "across all namespaces";
  return `You are not allowed to ${attempt.verb} ${attempt.resource} ${where}.`;
}

export function ErrorState({
  error,
  attempt,
  onRetry,
  children,
}: {
  error: unknown;
  attempt?: Attempt;
  onRetry?: () => void;
  children?: ReactNode;
}) {
  const api = error instanceof ApiError ? error : null;
  const denied = api?.status === 403;
  const title = denied
    ? "Permission denied"
    : api?.status === 0
      ? "Cannot reach the server"
      : api?.status === 404
        ? "Not found"
        : "Something went wrong";
  return (
    <div className={`state state-error${denied ? " state-denied" : ""}`} role="alert">
      <div className="state-title">
        <Icon name={denied ? "lock" : "alert"} /> {title}
      </div>
      {denied && attempt && (
        <div className="state-body">
          {deniedText(attempt)} The missing permission is <code>{`${attempt.verb} ${attempt.resource}`}</code>
          {attempt.namespace ? " in this namespace." : ". Permissions are often granted per namespace: try picking one."}
        </div>
      )}
      <div className="state-detail">
        {api ? (
          <>
            <code>{api.code}</code> {api.message}
          </>
        ) : (
          String(error)
        )}
      </div>
      {children}
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          <Icon name="refresh" size={14} /> Retry
        </button>
      )}
    </div>
  );
}
