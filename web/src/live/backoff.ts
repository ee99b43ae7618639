/**
 * Reconnect delays: exponential from 0.5 s, capped at 15 s, with "full jitter" so that a
 * room of browsers does not hammer a server that has just restarted all at the same instant.
 */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 15_000;

export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  // Never quicker than a quarter of the ceiling: a reconnect loop must not spin.
  return Math.round(ceiling / 4 + random() * (ceiling * 3) / 4);
}
