/** One execution on a page of its own (/executions/{id}): its facts, its outcome and its log. */
import { useEffect, useRef } from "preact/hooks";
import { NotFoundError } from "../api/errors";
import { getExecution } from "../api/executions";
import { getJob } from "../api/jobs";
import { Duration } from "../components/Duration";
import { ExecutionLog } from "../components/ExecutionLog";
import { ErrorState, Loading, NotFound } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { RelativeTime } from "../components/Time";
import { useAsync } from "../hooks/useAsync";
import { formatBytes, formatExact } from "../lib/format";
import { useLiveMessages, useReconnect } from "../live/live";
import { Link } from "../router";

export function ExecutionPage({ executionId }: { executionId: string }) {
  const exec = useAsync(() => getExecution(executionId), [executionId]);
  const e = exec.state.data;
  const jobId = e?.scheduled_job_id;
  const job = useAsync(() => (jobId ? getJob(jobId) : Promise.resolve(undefined)), [jobId]);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);

  useLiveMessages((msg) => {
    if ((msg.type === "pulse_execution_completed" || msg.type === "pulse_execution_failed") && msg.execution_id === executionId) {
      // Show the outcome at once, then fetch the record for the summary and exit code.
      exec.setState((s) =>
        s.status === "ok"
          ? {
              status: "ok",
              data:
                msg.type === "pulse_execution_completed"
                  ? { ...s.data, status: "completed", duration_ms: msg.duration_ms }
                  : { ...s.data, status: "failed", error_message: msg.error },
            }
          : s,
      );
      clearTimeout(timer.current);
      timer.current = setTimeout(exec.reload, 250);
    }
  });
  useReconnect(exec.reload);

  if (exec.state.status === "error" && exec.state.error instanceof NotFoundError) {
    return (
      <main class="page" id="main">
        <NotFound what={`There is no execution with the id ${executionId}.`} />
      </main>
    );
  }
  return (
    <main class="page" id="main">
      <nav class="breadcrumbs" aria-label="Breadcrumbs">
        <Link href="/">Jobs</Link>
        <span aria-hidden="true">/</span>
        {jobId ? <Link href={`/jobs/${encodeURIComponent(jobId)}`}>{job.state.data?.name ?? jobId}</Link> : <span>…</span>}
        <span aria-hidden="true">/</span>
        <span aria-current="page" class="mono">
          {executionId}
        </span>
      </nav>
      {exec.state.status === "loading" && <Loading label="Loading the execution" />}
      {exec.state.status === "error" && <ErrorState error={exec.state.error} onRetry={exec.retry} />}
      {e && (
        <>
          <section class="card" aria-labelledby="exec-title">
            <div class="page-header page-header--card">
              <div>
                <h1 id="exec-title" class="exec-title">
                  <StatusBadge status={e.status} />
                  <span>{job.state.data?.name ?? "Execution"}</span>
                </h1>
                <p class="muted page-sub mono">{e.id}</p>
              </div>
            </div>
            <dl class="facts">
              <div>
                <dt>Started</dt>
                <dd>
                  <RelativeTime iso={e.started_at} /> <span class="muted small">{formatExact(e.started_at)}</span>
                </dd>
              </div>
              <div>
                <dt>Duration</dt>
                <dd>
                  <Duration execution={e} />
                </dd>
              </div>
              <div>
                <dt>Completed</dt>
                <dd>
                  <RelativeTime iso={e.completed_at} fallback={e.status === "running" ? "still running" : "—"} />
                </dd>
              </div>
              <div>
                <dt>Trigger</dt>
                <dd>
                  {e.trigger}
                  {e.attempt > 1 ? `, attempt ${e.attempt}` : ""}
                </dd>
              </div>
              {e.scheduled_for && (
                <div>
                  <dt>Scheduled for</dt>
                  <dd>
                    <RelativeTime iso={e.scheduled_for} />
                  </dd>
                </div>
              )}
              {e.exit_code !== undefined && (
                <div>
                  <dt>Exit code</dt>
                  <dd class="mono">{e.exit_code}</dd>
                </div>
              )}
              {e.node_id && (
                <div>
                  <dt>Node</dt>
                  <dd class="mono">{e.node_id}</dd>
                </div>
              )}
              <div>
                <dt>Log</dt>
                <dd>{formatBytes(e.log_bytes)}</dd>
              </div>
            </dl>
            {e.result_summary && (
              <div class={e.status === "completed" ? "outcome outcome--ok" : "outcome outcome--neutral"}>
                <h2>Result</h2>
                <p>{e.result_summary}</p>
              </div>
            )}
            {e.error_message && (
              <div class="outcome outcome--error" role={e.status === "failed" ? "alert" : undefined}>
                <h2>Error</h2>
                <pre>{e.error_message}</pre>
              </div>
            )}
          </section>
          <section class="card card--flush">
            <ExecutionLog execution={e} initialText={e.logs} height={560} />
          </section>
        </>
      )}
    </main>
  );
}
