/**
 * Runs this page asked for (run now, re-run) whose execution the server may not have recorded
 * yet: a run request becomes an execution when a worker starts it. A page opened for one of
 * these waits for it to start instead of saying it does not exist.
 */
const requested = new Map<string, number>();
const WAIT_MS = 60_000;

export function markRequested(executionId: string, now = Date.now()): void {
  requested.set(executionId, now + WAIT_MS);
}

/** Whether `executionId` was asked for lately and may still be about to start. */
export function isRequested(executionId: string, now = Date.now()): boolean {
  const until = requested.get(executionId);
  if (until === undefined) return false;
  if (until < now) {
    requested.delete(executionId);
    return false;
  }
  return true;
}
