/** The Job Detail Panel's list: one row per execution, each expanding into its log. */
import type { PulseExecution } from "../api/executions";
import { Link } from "../router";
import { Duration } from "./Duration";
import { ExecutionLog } from "./ExecutionLog";
import { StatusBadge } from "./StatusBadge";
import { RelativeTime } from "./Time";

const TRIGGER: Record<PulseExecution["trigger"], string> = {
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

export function ExecutionRow({ execution: e, open, onToggle }: RowProps) {
  const logId = `log-${e.id}`;
  return (
    <li class={`exec ${open ? "exec--open" : ""}`} data-execution-id={e.id} data-status={e.status}>
      <div class="exec-row">
        <button
          type="button"
          class="exec-toggle"
          aria-expanded={open}
          aria-controls={logId}
          onClick={onToggle}
          aria-label={`${open ? "Hide" : "Show"} log of execution started ${e.started_at}`}
        >
          <svg class="chevron" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
            <path d="M4 2.5L7.5 6 4 9.5" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
          </svg>
        </button>
        <div class="exec-status">
          <StatusBadge status={e.status} />
        </div>
        <div class="exec-when">
          <RelativeTime iso={e.started_at} />
          <span class="exec-trigger muted">{TRIGGER[e.trigger]}{e.attempt > 1 ? ` · attempt ${e.attempt}` : ""}</span>
        </div>
        <div class="exec-duration">
          <Duration execution={e} />
        </div>
        <div class="exec-summary">
          {e.status === "failed" && e.error_message ? (
            <span class="exec-error" title={e.error_message}>
              {e.error_message}
            </span>
          ) : e.result_summary ? (
            <span class="exec-result" title={e.result_summary}>
              {e.result_summary}
            </span>
          ) : (
            <span class="muted">{e.status === "running" ? "running…" : "—"}</span>
          )}
        </div>
        <Link class="exec-link" href={`/executions/${encodeURIComponent(e.id)}`} aria-label={`Open execution ${e.id}`} title="Open this execution">
          <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
            <path d="M5.5 2.5h-3v9h9v-3M8 2.5h3.5V6M11.5 2.5L6.5 7.5" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" stroke-linejoin="round" />
          </svg>
        </Link>
      </div>
      {open && (
        <div id={logId} class="exec-log">
          <ExecutionLog execution={e} height={360} />
        </div>
      )}
    </li>
  );
}

interface ListProps {
  executions: PulseExecution[];
  openId: string | null;
  onToggle: (id: string) => void;
}

export function ExecutionList({ executions, openId, onToggle }: ListProps) {
  return (
    <ul class="exec-list" aria-label="Executions, newest first">
      {executions.map((e) => (
        <ExecutionRow key={e.id} execution={e} open={openId === e.id} onToggle={() => onToggle(e.id)} />
      ))}
    </ul>
  );
}
