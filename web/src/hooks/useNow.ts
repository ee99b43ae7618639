import { useEffect, useState } from "preact/hooks";

/** The current time, refreshed every `intervalMs` while `active` (for ticking durations and "3 minutes ago"). */
export function useNow(intervalMs = 1000, active = true): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs, active]);
  return now;
}
