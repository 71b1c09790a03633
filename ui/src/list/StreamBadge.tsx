import type { Health } from "../stream/policy";

const TEXT: Record<Health, [string, string]> = {
  connecting: ["Connecting", "Opening the live stream"],
  live: ["Live", "Changes stream in as they happen"],
  reconnecting: ["Reconnecting", "The live stream dropped; reconnecting"],
  polling: ["Polling", "No live stream for this list; refreshing periodically"],
  expired: ["Signed out", "Your session expired; sign in again to resume updates"],
};

/** live / reconnecting / polling, with the polling period in the tooltip. */
export function StreamBadge({ health, pollSeconds }: { health: Health; pollSeconds: number }) {
  const [label, title] = TEXT[health];
  const detail = health === "polling" ? `${title} (every ${pollSeconds}s)` : title;
  return (
    <span className={`badge stream stream-${health}`} title={detail} data-testid="stream-health">
      <span className="status-dot" aria-hidden="true" />
      {label}
    </span>
  );
}
