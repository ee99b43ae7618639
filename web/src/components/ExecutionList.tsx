/**
 * The Job Detail Panel's list: one row per execution, each expanding into its log. It is an
 * ARIA table (a real <table> cannot hold the expanding log across its columns and stay a grid on
 * a phone): column headers name what each cell is, and a screen reader can move by column.
 */
import type { PulseExecution } from "../api/executions";
import { useNow } from "../hooks/useNow";
import { stripAnsi } from "../lib/ansi";
import { formatWhen } from "../lib/format";
import { Link } from "../router";
import { Duration } from "./Duration";
import { ExecutionLog } from "./ExecutionLog";
import { StatusBadge } from "./StatusBadge";
import { RelativeTime } from "./Time";

export const TRIGGER_WORDS: Record<PulseExecution["trigger"], string> = {
  schedule: "scheduled",
  manual: "manual",
  rerun: "re-run",
  retry: "retry",
};

interface RowProps {
  execution: PulseExecution;
  open: boolean;
  onToggle: () => void;
}

/** What a row says about the outcome: the error of a failure, else the result. Escapes stripped. */
function Summary({ e }: { e: PulseExecution }) {
  if (e.status === "failed" && e.error_message) {
    const text = stripAnsi(e.error_message);
    return (
      <span class="exec-error" title={text}>
        {text}
      </span>
    );
  }
  if (e.result_summary) {
    const text = stripAnsi(e.result_summary);
    return (
      <span class="exec-result" title={text}>
        {text}
      </span>
    );
  }
  return <span class="muted">{e.status === "running" ? (e.cancel_requested_at ? "cancelling…" : "running…") : "—"}</span>;
}

export function ExecutionRow({ execution: e, open, onToggle }: RowProps) {
  const logId = `log-${e.id}`;
  const now = useNow(15_000);
  return (
    <div role="row" class={`exec exec-row ${open ? "exec--open" : ""}`} data-execution-id={e.id} data-status={e.status}>
      <div role="cell" class="exec-cell-toggle">
        <button
          type="button"
          class="exec-toggle"
          aria-expanded={open}
          aria-controls={open ? logId : undefined}
          onClick={onToggle}
          aria-label={`${open ? "Hide" : "Show"} log of the run started ${formatWhen(e.started_at, now)}`}
        >
          <svg class="chevron" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
            <path d="M4 2.5L7.5 6 4 9.5" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
          </svg>
        </button>
      </div>
      <div role="cell" class="exec-status">
        <StatusBadge status={e.status} cancelRequestedAt={e.cancel_requested_at} cancelledAt={e.cancelled_at} />
      </div>
      <div role="cell" class="exec-when">
        <RelativeTime iso={e.started_at} />
        <span class="exec-trigger muted">
          {TRIGGER_WORDS[e.trigger]}
          {e.attempt > 1 ? ` · attempt ${e.attempt}` : ""}
        </span>
      </div>
      <div role="cell" class="exec-duration">
        <Duration execution={e} />
      </div>
      <div role="cell" class="exec-summary">
        <Summary e={e} />
      </div>
      <div role="cell" class="exec-cell-link">
        <Link class="exec-link" href={`/executions/${encodeURIComponent(e.id)}`} aria-label={`Open execution ${e.id}`} title="Open this execution">
          <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
            <path d="M5.5 2.5h-3v9h9v-3M8 2.5h3.5V6M11.5 2.5L6.5 7.5" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" stroke-linejoin="round" />
          </svg>
        </Link>
      </div>
      {open && (
        <div role="cell" id={logId} class="exec-log">
          <ExecutionLog execution={e} height={360} />
        </div>
      )}
    </div>
  );
}

interface ListProps {
  executions: PulseExecution[];
  openId: string | null;
  onToggle: (id: string) => void;
}

export function ExecutionList({ executions, openId, onToggle }: ListProps) {
  return (
    <div role="table" class="exec-list" aria-label="Executions, newest first">
      <div role="rowgroup" class="exec-head">
        <div role="row" class="exec-row exec-row--head">
          <span role="columnheader" class="exec-cell-toggle">
            <span class="sr-only">Log</span>
          </span>
          <span role="columnheader">Status</span>
          <span role="columnheader">Started</span>
          <span role="columnheader">Duration</span>
          <span role="columnheader">Result</span>
          <span role="columnheader" class="exec-cell-link">
            <span class="sr-only">Open</span>
          </span>
        </div>
      </div>
      <div role="rowgroup" class="exec-body">
        {executions.map((e) => (
          <ExecutionRow key={e.id} execution={e} open={openId === e.id} onToggle={() => onToggle(e.id)} />
        ))}
      </div>
    </div>
  );
}
