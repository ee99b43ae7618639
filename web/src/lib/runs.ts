/** Keeping a cursor-paged list of runs current as the history grows. Pure, tested beside. */

export interface RunLike {
  id: string;
  started_at: string;
}

export interface RunsPage<T extends RunLike> {
  executions: T[];
  nextCursor: string | null;
}

/** Newest first: later start first, then the larger id (the API's order). */
export function newerFirst(a: RunLike, b: RunLike): number {
  if (a.started_at !== b.started_at) return a.started_at < b.started_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * The list after fetching its first page again (`head`): the head replaces what it covers (new
 * runs on top, changed ones updated, ones that left the filter gone) and the pages loaded
 * beyond it stay, with their cursor.
 */
export function mergeHead<T extends RunLike>(current: RunsPage<T>, head: RunsPage<T>): RunsPage<T> {
  if (head.nextCursor === null) return head; // the head is the whole list
  const last = head.executions[head.executions.length - 1];
  if (!last) return head;
  const beyond = current.executions.filter((e) => newerFirst(e, last) > 0);
  if (beyond.length === 0) return head;
  return { executions: [...head.executions, ...beyond], nextCursor: current.nextCursor };
}

/** The list with a further page appended (runs already shown are not shown twice). */
export function appendPage<T extends RunLike>(current: RunsPage<T>, next: RunsPage<T>): RunsPage<T> {
  const seen = new Set(current.executions.map((e) => e.id));
  return {
    executions: [...current.executions, ...next.executions.filter((e) => !seen.has(e.id))],
    nextCursor: next.nextCursor,
  };
}
