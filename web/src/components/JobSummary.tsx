import type { Job } from "../api/jobs";
import { formatDuration } from "../lib/format";
import { scheduleInWords } from "../lib/schedule";
import { StatusBadge } from "./StatusBadge";
import { RelativeTime } from "./Time";

/** The facts of a job, as a compact description list under its name. */
export function JobSummary({ job }: { job: Job }) {
  return (
    <dl class="facts">
      <div>
        <dt>Schedule</dt>
        <dd>
          {scheduleInWords(job)}
          {job.cron && <code class="facts-code">{job.cron}</code>}
        </dd>
      </div>
      <div>
        <dt>State</dt>
        <dd>
          <span class={`state-pill state-pill--${job.state}`}>{job.state === "paused" ? "Paused" : "Active"}</span>
        </dd>
      </div>
      <div>
        <dt>Next run</dt>
        <dd>{job.state === "paused" ? <span class="muted">paused</span> : <RelativeTime iso={job.next_run_at} />}</dd>
      </div>
      <div>
        <dt>Last execution</dt>
        <dd class="last-exec">
          <StatusBadge status={job.last_status} />
          {job.last_duration_ms !== undefined && job.last_status !== "running" && (
            <span class="muted">{formatDuration(job.last_duration_ms)}</span>
          )}
        </dd>
      </div>
      {(job.command || job.handler) && (
        <div class="facts-wide">
          <dt>{job.command ? "Command" : "Handler"}</dt>
          <dd>
            <code class="facts-code facts-command">{job.command ?? job.handler}</code>
          </dd>
        </div>
      )}
      {job.run_as && (
        <div>
          <dt>Runs as</dt>
          <dd>
            <code class="facts-code">{job.run_as}</code>
          </dd>
        </div>
      )}
      {job.missed && (
        <div>
          <dt>Missed</dt>
          <dd title="slots that passed while nothing could fire them (the server was down); the job ran once, for the latest">
            {job.missed.total} {job.missed.total === 1 ? "slot" : "slots"}, last{" "}
            {job.missed.last.count === 1 ? (
              <RelativeTime iso={job.missed.last.first} />
            ) : (
              <>
                {job.missed.last.count} between <RelativeTime iso={job.missed.last.first} /> and{" "}
                <RelativeTime iso={job.missed.last.last} />
              </>
            )}
          </dd>
        </div>
      )}
      {job.max_attempts > 1 && (
        <div>
          <dt>Retries</dt>
          <dd data-fact="retries">
            up to {job.max_attempts} attempts, the first retry after {job.retry_backoff_seconds} s
          </dd>
        </div>
      )}
      {job.skipped_count > 0 && (
        <div>
          <dt>Skipped</dt>
          <dd title="firings skipped because the previous execution was still running">
            {job.skipped_count}× {job.last_skipped_at && <RelativeTime iso={job.last_skipped_at} />}
          </dd>
        </div>
      )}
    </dl>
  );
}
