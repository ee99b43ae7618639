import type { LiveStatus } from "../live/connection";

const TEXT: Record<LiveStatus, string> = { live: "Live", connecting: "Connecting…", offline: "Offline" };

/** Whether updates arrive by themselves; offline offers to reconnect now. */
interface Props {
  status: LiveStatus;
  nodeId?: string | undefined;
  onRetry: () => void;
}

export function LiveIndicator({ status, nodeId, onRetry }: Props) {
  const title =
    status === "live"
      ? `Updates arrive as they happen${nodeId ? ` (from node ${nodeId})` : ""}`
      : status === "offline"
        ? "Not connected: reconnecting with backoff"
        : undefined;
  return (
    <div class={`live live--${status}`} role="status" aria-live="polite" data-live={status} title={title}>
      <span class="live-dot" aria-hidden="true" />
      <span>{TEXT[status]}</span>
      {status === "offline" && (
        <button type="button" class="link-button" onClick={onRetry}>
          Reconnect
        </button>
      )}
    </div>
  );
}
