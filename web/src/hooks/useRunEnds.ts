import { useEffect, useRef } from "preact/hooks";
import { useLiveMessages, useReconnect } from "../live/live";

/**
 * Call `fn` after executions end (of `jobId`, or of any job), at most once per `delayMs` burst,
 * and after the live connection comes back (ends may have been missed). With `starts`, after
 * executions start too.
 */
export function useRunEnds(fn: () => void, opts: { jobId?: string; delayMs?: number; starts?: boolean } = {}): void {
  const { jobId, delayMs = 750, starts = false } = opts;
  const ref = useRef(fn);
  ref.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);
  useLiveMessages((m) => {
    const ended = m.type === "pulse_execution_completed" || m.type === "pulse_execution_failed";
    const started = m.type === "pulse_execution_started";
    if (!ended && !(starts && started)) return;
    if (jobId !== undefined && m.job_id !== jobId) return;
    // A burst of ends (a catch-up, many jobs at the top of the minute) is one refetch.
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      ref.current();
    }, delayMs);
  });
  useReconnect(() => ref.current());
}
