import { useEffect, useState } from "preact/hooks";
import { live, useLiveStatus } from "../live/live";

/**
 * The current time, refreshed every `intervalMs` while `active` (for ticking durations and
 * "3 minutes ago"). While the live connection is lost it stands still at the moment it was
 * lost: what the page shows is as of then, and times must not tick on as if it were current.
 */
export function useNow(intervalMs = 1000, active = true): number {
  const status = useLiveStatus();
  const frozenAt = status === "offline" ? live.offlineSince : null;
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!active || frozenAt !== null) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs, active, frozenAt]);
  return frozenAt ?? now;
}
