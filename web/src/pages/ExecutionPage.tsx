/** One execution on a page of its own (/executions/{id}): its facts, its outcome, its lineage and its log. */
import { useEffect, useRef } from "preact/hooks";
import { NotFoundError } from "../api/errors";
import { getExecution, type PulseExecutionDetail, type RunLink, wasCancelled } from "../api/executions";
import { getJob } from "../api/jobs";
import { Duration } from "../components/Duration";
import { ExecutionLog } from "../components/ExecutionLog";
import { TRIGGER_WORDS } from "../components/ExecutionList";
import { ErrorState, Loading, NotFound } from "../components/States";
import { StatusBadge } from "../components/StatusBadge";
import { RelativeTime } from "../components/Time";
import { useAsync } from "../hooks/useAsync";
import { stripAnsi } from "../lib/ansi";
import { formatBytes, formatExact, formatTimeOfDay } from "../lib/format";
import { isRequested } from "../lib/requested";
import { useLiveMessages, useReconnect } from "../live/live";
import { Link, navigate } from "../router";
import { useRunActions } from "./useRunActions";

const href = (id: string) => `/executions/${encodeURIComponent(id)}`;

/** The outcome: the result of a success; the error of a failure, then its last output line. */
function Outcome({ e }: { e: PulseExecutionDetail }) {
  const summary = e.result_summary ? stripAnsi(e.result_summary) : undefined;
  const error = e.error_message ? stripAnsi(e.error_message) : undefined;
  if (wasCancelled(e)) {
    return (
      <div class="outcome outcome--cancelled" data-outcome="cancelled">
        <h2>Cancelled</h2>
        <p>
          Stopped on request at {formatTimeOfDay(e.cancelled_at ?? e.completed_at ?? e.started_at)}
          {e.cancel_requested_at && e.cancel_requested_at !== e.cancelled_at ? ` (asked at ${formatTimeOfDay(e.cancel_requested_at)})` : ""}.
        </p>
        {summary && <LastOutput text={summary} />}
      </div>
    );
  }
  if (e.status === "failed") {
    return (
      <>
        {error && (
          <div class="outcome outcome--error" role="alert" data-outcome="error">
            <h2>Error</h2>
            <pre>{error}</pre>
          </div>
        )}
        {summary && (
          <div class="outcome outcome--neutral" data-outcome="last-output">
            <LastOutput text={summary} />
          </div>
        )}
      </>
    );
  }
  if (e.status === "completed" && summary) {
    return (
      <div class="outcome outcome--ok" data-outcome="result">
        <h2>Result</h2>
        <p>{summary}</p>
      </div>
    );
  }
  return null;
}

function LastOutput({ text }: { text: string }) {
  return (
    <>
      <h2 class="outcome-sub">Last output line</h2>
      <pre>{text}</pre>
    </>
  );
}

function Lineage({ e }: { e: PulseExecutionDetail }) {
  const runs: RunLink[] = e.reruns;
  if (runs.length === 0) return null;
  return (
    <section class="card" aria-labelledby="reruns-title" data-section="reruns">
      <div class="section-header">
        <h2 id="reruns-title">
          Re-runs and retries <span class="count-pill">{runs.length}</span>
        </h2>
      </div>
      <ul class="plain-list">
        {runs.map((r) => (
          <li key={r.id} class="plain-item" data-rerun={r.id}>
            <StatusBadge status={r.status} />
            <Link href={href(r.id)} class="mono">
              {r.id}
            </Link>
            <span class="muted">
              {TRIGGER_WORDS[r.trigger]}
              {r.trigger === "retry" ? `, attempt ${r.attempt}` : ""}
            </span>
            <span class="item-end muted">
              <RelativeTime iso={r.started_at} />
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function ExecutionPage({ executionId }: { executionId: string }) {
  const exec = useAsync(() => getExecution(executionId), [executionId]);
  const e = exec.state.data;
  const jobId = e?.scheduled_job_id;
  const job = useAsync(() => (jobId ? getJob(jobId) : Promise.resolve(undefined)), [jobId]);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);
  const reloadSoon = () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(exec.reload, 250);
  };
  const patch = (fn: (d: PulseExecutionDetail) => PulseExecutionDetail) =>
    exec.setState((s) => (s.status === "ok" ? { status: "ok", data: fn(s.data) } : s));

  // A run just asked for may not be recorded yet: wait for it to start rather than say it does
  // not exist (its start message, or a look every second, brings it).
  const waiting = exec.state.status === "error" && exec.state.error instanceof NotFoundError && isRequested(executionId);
  useEffect(() => {
    if (!waiting) return;
    const t = setTimeout(exec.reload, 1000);
    return () => clearTimeout(t);
  }, [waiting, exec.state]);

  useLiveMessages((msg) => {
    if (msg.type === "pulse_execution_started" && msg.execution_id === executionId && waiting) {
      exec.reload();
      return;
    }
    if (msg.type === "pulse_execution_cancelling" && msg.execution_id === executionId) {
      patch((d) => (d.status === "running" ? { ...d, cancel_requested_at: d.cancel_requested_at ?? msg.requested_at } : d));
      return;
    }
    if ((msg.type === "pulse_execution_completed" || msg.type === "pulse_execution_failed") && msg.execution_id === executionId) {
      // Show the outcome at once, then fetch the record for the summary and exit code.
      patch((d) =>
        msg.type === "pulse_execution_completed"
          ? { ...d, status: "completed", duration_ms: msg.duration_ms }
          : { ...d, status: "failed", error_message: msg.error },
      );
      reloadSoon();
      return;
    }
    // A failed first attempt may be retried: its retries appear in the lineage as they start.
    if (msg.type === "pulse_execution_started" && e && msg.job_id === e.scheduled_job_id && e.status === "failed") reloadSoon();
  });
  useReconnect(exec.reload);

  const jobName = job.state.data?.name;
  const actions = useRunActions({
    nameOf: () => jobName ?? "the job",
    onCancelled: ([c]) => {
      if (c) patch((d) => ({ ...d, cancel_requested_at: c.cancel_requested_at ?? new Date().toISOString() }));
    },
    onRerun: ([r]) => {
      if (r) navigate(href(r.execution_id));
    },
  });

  useEffect(() => {
    if (jobName) document.title = `${jobName}: ${executionId} · Pulse`;
  }, [jobName, executionId]);

  if (waiting) {
    return (
      <main class="page" id="main">
        <div class="state" role="status">
          <h1>Starting the run…</h1>
          <p>
            <span class="mono">{executionId}</span> is asked for; it shows here as soon as it starts.
          </p>
        </div>
      </main>
    );
  }
  if (exec.state.status === "error" && exec.state.error instanceof NotFoundError) {
    return (
      <main class="page" id="main">
        <NotFound what={`There is no execution with the id ${executionId}.`} />
      </main>
    );
  }
  const running = e?.status === "running";
  const cancelling = running && e?.cancel_requested_at !== undefined;
  return (
    <main class="page" id="main">
      <nav class="breadcrumbs" aria-label="Breadcrumbs">
        <Link href="/">Jobs</Link>
        <span aria-hidden="true">/</span>
        {jobId ? <Link href={`/jobs/${encodeURIComponent(jobId)}`}>{jobName ?? jobId}</Link> : <span>…</span>}
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
                  <StatusBadge status={e.status} cancelRequestedAt={e.cancel_requested_at} cancelledAt={e.cancelled_at} />
                  <span>{jobName ?? "Execution"}</span>
                </h1>
                <p class="muted page-sub mono">{e.id}</p>
              </div>
              <div class="actions">
                {running && (
                  <button
                    type="button"
                    class="btn btn--danger-ghost"
                    disabled={cancelling}
                    onClick={() => actions.askCancel([e])}
                    data-action="cancel"
                  >
                    {cancelling ? "Cancelling…" : "Cancel run"}
                  </button>
                )}
                {!running && (
                  <button type="button" class="btn" onClick={() => actions.askRerun([e])} data-action="rerun">
                    Re-run
                  </button>
                )}
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
                  <RelativeTime iso={e.completed_at} fallback={running ? (cancelling ? "cancelling…" : "still running") : "—"} />
                </dd>
              </div>
              <div>
                <dt>Trigger</dt>
                <dd>
                  {TRIGGER_WORDS[e.trigger]}
                  {e.attempt > 1 ? `, attempt ${e.attempt}` : ""}
                </dd>
              </div>
              {e.rerun_of && (
                <div>
                  <dt>{e.trigger === "retry" ? "Retry of" : "Re-run of"}</dt>
                  <dd>
                    <Link href={href(e.rerun_of)} class="mono" data-rerun-of={e.rerun_of}>
                      {e.rerun_of}
                    </Link>
                  </dd>
                </div>
              )}
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
                {/* The stored size lags the lines tailed live: it is given once the run ended. */}
                <dd data-fact="log">{running ? <span class="muted">tailing live</span> : formatBytes(e.log_bytes)}</dd>
              </div>
            </dl>
            <Outcome e={e} />
          </section>
          <Lineage e={e} />
          <section class="card card--flush">
            <ExecutionLog execution={e} initialText={e.logs} height={560} />
          </section>
        </>
      )}
      {actions.dialog}
    </main>
  );
}
