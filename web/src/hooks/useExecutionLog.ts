/**
 * The lines of one execution's log: the whole text over HTTP for a finished execution, or the
 * stored chunks then live lines over the WebSocket for a running one. Lines are kept raw in one
 * growing array (a 10 MiB log is ~150k strings; copying it on every live line would not do) and
 * `version` tells React-land when it grew.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { getExecutionLogs } from "../api/executions";
import { splitLines } from "../lib/logline";
import { live } from "../live/live";

export interface ExecutionLog {
  lines: string[];
  version: number;
  loading: boolean;
  error: unknown;
  reload: () => void;
  /** Fetch the whole stored log again over HTTP (after a capped log was tailed live). */
  refetchStored: () => void;
}

export function useExecutionLog(executionId: string, running: boolean, initialText?: string): ExecutionLog {
  const lines = useRef<string[]>([]);
  const carry = useRef("");
  const [version, setVersion] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  // Chosen once per open: an execution that finishes while we tail it keeps its subscription,
  // which simply goes quiet; switching to HTTP then would fetch what we already have.
  const [viaSocket, setViaSocket] = useState(running);

  useEffect(() => {
    lines.current = [];
    carry.current = "";
    setError(null);
    setLoading(true);
    setVersion((v) => v + 1);
    if (viaSocket) {
      let pending = false;
      const off = live.subscribeLogs(executionId, 0, (msg) => {
        const { lines: fresh, rest } = splitLines(msg.text, carry.current);
        carry.current = rest;
        for (const l of fresh) lines.current.push(l);
        // Many chunks can arrive in one burst (the stored ones); draw once per frame.
        if (!pending) {
          pending = true;
          requestAnimationFrame(() => {
            pending = false;
            setLoading(false);
            setVersion((v) => v + 1);
          });
        }
      });
      // A log with nothing in it yet is not "loading" for long.
      const t = setTimeout(() => setLoading(false), 400);
      return () => {
        off();
        clearTimeout(t);
      };
    }
    const show = (text: string) => {
      const all = text.split("\n");
      if (all.length > 0 && all[all.length - 1] === "") all.pop();
      lines.current = all;
      setLoading(false);
      setVersion((v) => v + 1);
    };
    if (initialText !== undefined && attempt === 0) {
      show(initialText);
      return;
    }
    const abort = new AbortController();
    getExecutionLogs(executionId, abort.signal).then(
      show,
      (err: unknown) => {
        if (abort.signal.aborted) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => abort.abort();
  }, [executionId, viaSocket, attempt]);

  return {
    lines: lines.current,
    version,
    loading,
    error,
    reload: () => setAttempt((a) => a + 1),
    refetchStored: () => {
      setViaSocket(false);
      setAttempt((a) => a + 1);
    },
  };
}
