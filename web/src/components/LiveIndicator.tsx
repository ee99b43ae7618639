import type { LiveStatus } from "../live/connection";

const TEXT: Record<LiveStatus, string> = { live: "Live", connecting: "Connecting…", offline: "Offline" };

/** Whether updates arrive by themselves; offline offers to reconnect now. */
export function LiveIndicator({ status, onRetry }: { status: LiveStatus; onRetry: () => void }) {
  return (
    <div class={`live live--${status}`} role="status" aria-live="polite" data-live={status}>
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
