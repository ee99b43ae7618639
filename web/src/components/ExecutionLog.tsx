/** The log of one execution: a toolbar (size, truncation, download) over the virtualised viewer. */
import { executionLogsUrl, type PulseExecution } from "../api/executions";
import { describeError } from "../api/errors";
import { authHeaders, getToken } from "../api/http";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { useExecutionLog } from "../hooks/useExecutionLog";
import { useStoredFlag } from "../hooks/useStoredFlag";
import { stripAnsi } from "../lib/ansi";
import { formatBytes } from "../lib/format";
import { findMatches, stepMatch } from "../lib/logsearch";
import { LogViewer } from "./LogViewer";
import { toast } from "./Toasts";

async function downloadWithToken(executionId: string): Promise<void> {
  const res = await fetch(executionLogsUrl(executionId), { headers: authHeaders() });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `${executionId}.log`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

interface Props {
  execution: PulseExecution;
  height?: number;
  /** The whole log, when the page already has it (the execution page gets it with the execution). */
  initialText?: string | undefined;
}

export function ExecutionLog({ execution, height, initialText }: Props) {
  const running = execution.status === "running";
  const log = useExecutionLog(execution.id, running, initialText);
  // A capped log tailed live saw lines that Pulse then dropped from the middle; once it has
  // ended, show what was stored (head, marker, tail) instead.
  const tailed = useRef(running);
  useEffect(() => {
    if (tailed.current && !running && execution.log_truncated) {
      tailed.current = false;
      log.refetchStored();
    }
  }, [running, execution.log_truncated]);
  const count = log.lines.length;
  const [wrap, setWrap] = useStoredFlag("pulse.log.wrap");
  const [utc, setUtc] = useStoredFlag("pulse.log.utc");
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(t);
  }, [copied]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(log.lines.map(stripAnsi).join("\n") + "\n");
      setCopied(true);
    } catch {
      toast("Could not copy the log: the browser did not allow it.", "error");
    }
  };

  // Find in the log: matches follow the typing after a moment; Enter / Shift+Enter step through
  // them (the first Enter searches at once).
  const [typed, setTyped] = useState("");
  const [query, setQuery] = useState("");
  const [current, setCurrent] = useState(-1);
  const [target, setTarget] = useState<{ line: number; nonce: number }>();
  const queryRef = useRef(query);
  queryRef.current = query;
  useEffect(() => {
    const t = setTimeout(() => {
      // Enter may have searched already; then the position stays.
      if (queryRef.current === typed) return;
      setQuery(typed);
      setCurrent(-1);
    }, 200);
    return () => clearTimeout(t);
  }, [typed]);
  const matches = useMemo(() => findMatches(log.lines, query), [query, log.version]);
  const step = (direction: 1 | -1) => {
    const fresh = typed !== query;
    const list = fresh ? findMatches(log.lines, typed) : matches;
    if (fresh) setQuery(typed);
    const next = stepMatch(list.length, fresh ? -1 : current, direction);
    setCurrent(next);
    if (next >= 0) setTarget({ line: list[next] as number, nonce: Date.now() });
  };

  return (
    <section class="log" aria-label={`Log of ${execution.id}`} data-execution={execution.id}>
      <div class="log-toolbar">
        <span class="log-title">Log</span>
        <span class="muted log-meta" data-testid="log-count">
          {count.toLocaleString("en")} {count === 1 ? "line" : "lines"}
          {/* While it runs the stored size lags the lines shown: the lines alone then. */}
          {!running && execution.log_bytes > 0 && ` · ${formatBytes(execution.log_bytes)}`}
        </span>
        {running && (
          <span class="log-live">
            <span class="live-dot" aria-hidden="true" /> tailing
          </span>
        )}
        {execution.log_truncated && (
          <span class="log-truncated" title="Pulse kept the head and the tail of this log">
            {formatBytes(execution.log_dropped_bytes)} dropped over the size cap
          </span>
        )}
        <span class="spacer" />
        {count > 0 && (
          <div class="log-search" role="search">
            <input
              type="search"
              placeholder="Find in log"
              aria-label="Find in log"
              value={typed}
              onInput={(e) => setTyped(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  step(e.shiftKey ? -1 : 1);
                }
              }}
            />
            {query.trim() && (
              <span class="log-search-count muted" aria-live="polite" data-testid="log-matches">
                {matches.length === 0 ? "no matches" : `${current >= 0 ? current + 1 : "–"} / ${matches.length}`}
              </span>
            )}
            <button type="button" class="btn btn--small btn--icon" aria-label="Previous match" disabled={!matches.length} onClick={() => step(-1)}>
              ↑
            </button>
            <button type="button" class="btn btn--small btn--icon" aria-label="Next match" disabled={!matches.length} onClick={() => step(1)}>
              ↓
            </button>
          </div>
        )}
        <div class="log-options" role="group" aria-label="Log display">
          <label class="log-option">
            <input type="checkbox" checked={wrap} onChange={(e) => setWrap(e.currentTarget.checked)} />
            Wrap lines
          </label>
          <label class="log-option">
            <input type="checkbox" checked={utc} onChange={(e) => setUtc(e.currentTarget.checked)} />
            UTC times
          </label>
        </div>
        <button type="button" class="btn btn--small" disabled={count === 0} onClick={() => void copy()}>
          <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
            <path d="M4 4h6.5v6.5H4zM2 8V1.5h6" fill="none" stroke="currentColor" stroke-width="1.3" stroke-linejoin="round" />
          </svg>
          {copied ? "Copied" : "Copy"}
          <span class="sr-only"> the log</span>
        </button>
        <a
          class="btn btn--small"
          href={executionLogsUrl(execution.id)}
          download={`${execution.id}.log`}
          onClick={(e) => {
            if (!getToken()) return;
            e.preventDefault();
            void downloadWithToken(execution.id);
          }}
        >
          <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
            <path d="M6 1.5v6.5M3 5.5L6 8.5l3-3M2 10.5h8" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" />
          </svg>
          Download
        </a>
      </div>
      {log.error ? (
        <div class="log-message" role="alert">
          Could not load the log: {describeError(log.error)}{" "}
          <button type="button" class="link-button" onClick={log.reload}>
            Retry
          </button>
        </div>
      ) : log.loading && count === 0 ? (
        <div class="log-message" role="status">
          Loading the log…
        </div>
      ) : count === 0 ? (
        <div class="log-message">{running ? "Waiting for output…" : "This execution printed nothing."}</div>
      ) : (
        <LogViewer
          lines={log.lines}
          version={log.version}
          label={`Log of execution ${execution.id}`}
          startAtEnd={running}
          query={query}
          target={target}
          wrap={wrap}
          utc={utc}
          {...(height ? { height } : {})}
        />
      )}
    </section>
  );
}
