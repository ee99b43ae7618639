/** Every run of every job, one row each, with a box to select it and its own action. */
import type { PulseExecution } from "../api/executions";
import { useNow } from "../hooks/useNow";
import { stripAnsi } from "../lib/ansi";
import { formatWhen } from "../lib/format";
import { Link } from "../router";
import { Duration } from "./Duration";
import { TRIGGER_WORDS } from "./ExecutionList";
import { StatusBadge } from "./StatusBadge";
import { RelativeTime } from "./Time";

interface Props {
  executions: PulseExecution[];
  jobName: (jobId: string) => string;
  selected: ReadonlySet<string>;
  onSelect: (ids: string[], on: boolean) => void;
  onCancel: (e: PulseExecution) => void;
  onRerun: (e: PulseExecution) => void;
}

function Result({ e }: { e: PulseExecution }) {
  if (e.status === "failed" && e.error_message) {
    const text = stripAnsi(e.error_message);
    return (
      <span class="cell-error runs-result" title={text}>
        {text}
      </span>
    );
  }
  if (e.result_summary) {
    const text = stripAnsi(e.result_summary);
    return (
      <span class="runs-result" title={text}>
        {text}
      </span>
    );
  }
  return <span class="muted">{e.status === "running" ? "running…" : "—"}</span>;
}

export function RunsTable({ executions, jobName, selected, onSelect, onCancel, onRerun }: Props) {
  const now = useNow(15_000);
  const all = executions.length > 0 && executions.every((e) => selected.has(e.id));
  const some = executions.some((e) => selected.has(e.id));
  return (
    <table class="jobs-table runs-table">
      <caption class="sr-only">Runs, newest first</caption>
      <thead>
        <tr>
          <th scope="col" class="col-select">
            <input
              type="checkbox"
              aria-label="Select every run shown"
              checked={all}
              ref={(el) => {
                if (el) el.indeterminate = some && !all;
              }}
              onChange={(ev) => onSelect(executions.map((e) => e.id), ev.currentTarget.checked)}
            />
          </th>
          <th scope="col">Status</th>
          <th scope="col">Job</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
          <th scope="col">Trigger</th>
          <th scope="col">Node</th>
          <th scope="col">Result</th>
          <th scope="col">
            <span class="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {executions.map((e) => {
          const name = jobName(e.scheduled_job_id);
          const when = formatWhen(e.started_at, now);
          const running = e.status === "running";
          return (
            <tr key={e.id} data-execution-id={e.id} data-status={e.status} class={selected.has(e.id) ? "row--selected" : undefined}>
              <td class="col-select">
                <input
                  type="checkbox"
                  aria-label={`Select the run of ${name} started ${when}`}
                  checked={selected.has(e.id)}
                  onChange={(ev) => onSelect([e.id], ev.currentTarget.checked)}
                />
              </td>
              <td data-label="Status">
                <StatusBadge status={e.status} cancelRequestedAt={e.cancel_requested_at} cancelledAt={e.cancelled_at} />
              </td>
              <td data-label="Job">
                <Link href={`/jobs/${encodeURIComponent(e.scheduled_job_id)}`} class="job-link">
                  {name}
                </Link>
              </td>
              <td data-label="Started" class="nowrap">
                <Link href={`/executions/${encodeURIComponent(e.id)}`} data-open-run>
                  <span class="sr-only">Open the run started </span>
                  <RelativeTime iso={e.started_at} />
                </Link>
              </td>
              <td data-label="Duration" class="nowrap">
                <Duration execution={e} />
              </td>
              <td data-label="Trigger">
                {TRIGGER_WORDS[e.trigger]}
                {e.attempt > 1 ? <span class="muted"> · {e.attempt}</span> : null}
              </td>
              <td data-label="Node" class="mono runs-node">
                {e.node_id ?? "—"}
              </td>
              <td data-label="Result" class="runs-result-cell">
                <Result e={e} />
              </td>
              <td class="col-actions">
                {running ? (
                  <button
                    type="button"
                    class="btn btn--small btn--danger-ghost"
                    disabled={e.cancel_requested_at !== undefined}
                    aria-label={`Cancel the run of ${name} started ${when}`}
                    onClick={() => onCancel(e)}
                  >
                    {e.cancel_requested_at ? "Cancelling…" : "Cancel"}
                  </button>
                ) : (
                  <button type="button" class="btn btn--small" aria-label={`Re-run the run of ${name} started ${when}`} onClick={() => onRerun(e)}>
                    Re-run
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
