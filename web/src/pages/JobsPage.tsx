/** The jobs page: every job, its schedule in words, its state, next run and last execution. */
import { useCallback } from "preact/hooks";
import { getJob, type Job, listJobs } from "../api/jobs";
import { NotFoundError } from "../api/errors";
import { getJobsStats, type JobOutcomes } from "../api/stats";
import { JobActions } from "../components/JobActions";
import { OutcomeStrip } from "../components/OutcomeStrip";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { RelativeTime } from "../components/Time";
import { useAsync } from "../hooks/useAsync";
import { useRunEnds } from "../hooks/useRunEnds";
import { formatDuration } from "../lib/format";
import { formatSuccessRate, rateTone } from "../lib/stats";
import { scheduleInWords } from "../lib/schedule";
import { useLiveMessages, useReconnect } from "../live/live";
import { applyToJobs, sortJobs, upsertJob } from "../live/reducers";
import { Link } from "../router";
import { useJobActions } from "./useJobActions";

export function JobsPage() {
  const { state, setState, reload, retry } = useAsync(async () => sortJobs(await listJobs()), []);
  const jobs = state.status === "ok" ? state.data : null;

  const put = useCallback(
    (update: (jobs: Job[]) => Job[]) =>
      setState((s) => (s.status === "ok" ? { status: "ok", data: update(s.data) } : s)),
    [setState],
  );

  const refetch = (jobId: string) => {
    getJob(jobId).then(
      (job) => put((list) => upsertJob(list, job)),
      (err: unknown) => {
        if (err instanceof NotFoundError) put((list) => list.filter((j) => j.id !== jobId));
      },
    );
  };

  useLiveMessages((msg) => {
    if (!jobs) return;
    // The update goes through the state updater (messages can come faster than renders); which
    // jobs to refetch depends only on the message and on what is shown, so the last render's
    // list answers that.
    put((list) => applyToJobs(list, msg).state);
    for (const id of applyToJobs(jobs, msg).refetch) refetch(id);
  });
  useReconnect(reload);

  // One request for every row's outcomes, again when runs end (a burst of ends is one refetch).
  const outcomes = useAsync(async () => new Map((await getJobsStats(7)).jobs.map((o) => [o.job_id, o])), []);
  useRunEnds(outcomes.reload);

  const actions = useJobActions({
    onSaved: (job) => put((list) => upsertJob(list, job)),
    onDeleted: (id) => put((list) => list.filter((j) => j.id !== id)),
  });

  return (
    <main class="page" id="main">
      <div class="page-header">
        <div>
          <h1>Jobs</h1>
          {jobs && <p class="muted page-sub">{jobs.length === 1 ? "1 job" : `${jobs.length} jobs`}</p>}
        </div>
        <button type="button" class="btn btn--primary" onClick={actions.create}>
          + New job
        </button>
      </div>
      {state.status === "loading" && <Loading label="Loading jobs" />}
      {state.status === "error" && <ErrorState error={state.error} onRetry={retry} />}
      {jobs && jobs.length === 0 && (
        <EmptyState title="No jobs yet">
          <p>A job runs a command on a schedule, and Pulse keeps the history of every run.</p>
          <button type="button" class="btn btn--primary" onClick={actions.create}>
            Create your first job
          </button>
        </EmptyState>
      )}
      {jobs && jobs.length > 0 && (
        <div class="card table-wrap">
          <table class="jobs-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Schedule</th>
                <th scope="col">State</th>
                <th scope="col">Next run</th>
                <th scope="col">Last execution</th>
                <th scope="col">Recent runs</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <tr key={job.id} data-job-id={job.id} data-job-name={job.name}>
                  <td class="col-name" data-label="Name">
                    <Link href={`/jobs/${encodeURIComponent(job.id)}`} class="job-link">
                      {job.name}
                    </Link>
                    {job.description && <div class="muted job-desc">{job.description}</div>}
                  </td>
                  <td data-label="Schedule">
                    <span title={job.cron ? `cron: ${job.cron}` : `every ${job.interval_seconds ?? "?"} s`}>{scheduleInWords(job)}</span>
                  </td>
                  <td data-label="State">
                    <span class={`state-pill state-pill--${job.state}`}>{job.state === "paused" ? "Paused" : "Active"}</span>
                  </td>
                  <td data-label="Next run">
                    {job.state === "paused" ? <span class="muted">paused</span> : <RelativeTime iso={job.next_run_at} />}
                  </td>
                  <td data-label="Last execution">
                    <div class="last-exec">
                      <StatusBadge status={job.last_status} />
                      {job.last_duration_ms !== undefined && job.last_status !== "running" && (
                        <span class="muted">{formatDuration(job.last_duration_ms)}</span>
                      )}
                      {job.last_run_at && (
                        <span class="muted last-exec-when">
                          · <RelativeTime iso={job.last_run_at} />
                        </span>
                      )}
                    </div>
                  </td>
                  <td data-label="Recent runs">
                    <RecentRuns outcomes={outcomes.state.data?.get(job.id)} loaded={outcomes.state.status === "ok"} />
                  </td>
                  <td class="col-actions">
                    <JobActions
                      job={job}
                      busy={actions.busy(job.id)}
                      onRun={() => void actions.run(job)}
                      onToggle={() => void actions.toggle(job)}
                      onEdit={() => actions.edit(job)}
                      onDelete={() => actions.confirmDelete(job)}
                      compact
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {actions.dialogs}
    </main>
  );
}

/** A job's last outcomes and its success rate over 7 days (nothing while the stats load or fail). */
function RecentRuns({ outcomes, loaded }: { outcomes: JobOutcomes | undefined; loaded: boolean }) {
  if (!loaded) return null;
  if (!outcomes || outcomes.recent.length === 0) return <span class="muted">no runs yet</span>;
  return (
    <div class="recent-runs">
      <OutcomeStrip recent={outcomes.recent} />
      <span
        class={`rate rate--${rateTone(outcomes.success_rate)}`}
        title={`${outcomes.completed} of ${outcomes.total} runs completed in the last 7 days`}
        data-rate
      >
        {formatSuccessRate(outcomes.success_rate)}
        <span class="sr-only"> succeeded in the last 7 days</span>
      </span>
    </div>
  );
}
