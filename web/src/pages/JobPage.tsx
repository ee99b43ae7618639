/** The seed's Job Detail Panel: the job, then its executions newest first, live. */
import { useEffect, useRef, useState } from "preact/hooks";
import { NotFoundError } from "../api/errors";
import { EXECUTION_STATUSES, type ExecutionStatus, listExecutions } from "../api/executions";
import { getJob, type Job } from "../api/jobs";
import { ExecutionList } from "../components/ExecutionList";
import { JobActions } from "../components/JobActions";
import { JobSummary } from "../components/JobSummary";
import { Pagination } from "../components/Pagination";
import { EmptyState, ErrorState, Loading, NotFound } from "../components/States";
import { StatusFilter } from "../components/StatusFilter";
import { useAsync } from "../hooks/useAsync";
import { offsetOf, pageInfo } from "../lib/pagination";
import { useLiveMessages, useReconnect } from "../live/live";
import { applyToExecutions, type ExecutionListState } from "../live/reducers";
import { Link, navigate, useLocation } from "../router";
import { JobRetentionCard } from "./JobRetentionCard";
import { JobStatsCard } from "./JobStatsCard";
import { useJobActions } from "./useJobActions";

export const PAGE_SIZE = 50;

function parseStatus(s: string | null): ExecutionStatus | undefined {
  return EXECUTION_STATUSES.find((x) => x === s);
}

export function JobPage({ jobId }: { jobId: string }) {
  const { query } = useLocation();
  const status = parseStatus(query.get("status"));
  const page = Math.max(1, Number(query.get("page")) || 1);
  const offset = offsetOf(page, PAGE_SIZE);
  const [openId, setOpenId] = useState<string | null>(query.get("open"));

  const job = useAsync(() => getJob(jobId), [jobId]);
  const list = useAsync<ExecutionListState>(async () => {
    const r = await listExecutions(jobId, PAGE_SIZE, offset, status);
    return { jobId, executions: r.executions, total: r.total, offset, limit: PAGE_SIZE, status };
  }, [jobId, offset, status], { keepPrevious: true });

  // Live messages are applied at once; the rows they touch are then refetched, a burst at a time.
  const refetchTimer = useRef<ReturnType<typeof setTimeout>>();
  const scheduleRefetch = () => {
    clearTimeout(refetchTimer.current);
    refetchTimer.current = setTimeout(() => {
      list.reload();
      job.reload();
    }, 250);
  };
  useEffect(() => () => clearTimeout(refetchTimer.current), []);

  useLiveMessages((msg) => {
    if (msg.type === "pulse_job_changed" && msg.job_id === jobId) {
      if (msg.change === "deleted") navigate("/", { replace: true });
      else job.reload();
      return;
    }
    if (list.state.status !== "ok") return;
    const nowIso = new Date().toISOString();
    list.setState((s) => {
      if (s.status !== "ok") return s;
      const next = applyToExecutions(s.data, msg, nowIso).state;
      return next === s.data ? s : { status: "ok", data: next };
    });
    if (applyToExecutions(list.state.data, msg, nowIso).refetch.length) scheduleRefetch();
  });
  useReconnect(() => {
    list.reload();
    job.reload();
  });

  const setQuery = (next: { status?: ExecutionStatus | undefined; page?: number }) => {
    const q = new URLSearchParams();
    const st = "status" in next ? next.status : status;
    const pg = next.page ?? 1;
    if (st) q.set("status", st);
    if (pg > 1) q.set("page", String(pg));
    const qs = q.toString();
    navigate(`/jobs/${encodeURIComponent(jobId)}${qs ? `?${qs}` : ""}`, { replace: true });
  };

  const actions = useJobActions({
    onSaved: (j) => job.setState({ status: "ok", data: j }),
    onDeleted: () => navigate("/"),
    onTriggered: (executionId) => {
      if (page === 1 && (!status || status === "running")) setOpenId((cur) => cur ?? executionId);
    },
  });

  const jobName = job.state.data?.name;
  useEffect(() => {
    if (jobName) document.title = `${jobName} · Pulse`;
  }, [jobName]);

  if (job.state.status === "error" && job.state.error instanceof NotFoundError) {
    return (
      <main class="page" id="main">
        <NotFound what={`There is no job with the id ${jobId}. It may have been deleted.`} />
      </main>
    );
  }

  const j: Job | undefined = job.state.data;
  return (
    <main class="page" id="main">
      <nav class="breadcrumbs" aria-label="Breadcrumbs">
        <Link href="/">Jobs</Link>
        <span aria-hidden="true">/</span>
        <span aria-current="page">{j?.name ?? jobId}</span>
      </nav>
      {job.state.status === "error" && <ErrorState error={job.state.error} onRetry={job.retry} />}
      {job.state.status === "loading" && <Loading label="Loading the job" rows={2} />}
      {j && (
        <section class="card job-card" aria-labelledby="job-title">
          <div class="page-header page-header--card">
            <div>
              <h1 id="job-title">{j.name}</h1>
              {j.description && <p class="muted page-sub">{j.description}</p>}
            </div>
            <JobActions
              job={j}
              busy={actions.busy(j.id)}
              onRun={() => void actions.run(j)}
              onToggle={() => void actions.toggle(j)}
              onEdit={() => actions.edit(j)}
              onDelete={() => actions.confirmDelete(j)}
            />
          </div>
          <JobSummary job={j} />
        </section>
      )}
      {j && <JobStatsCard jobId={jobId} />}

      <section class="card" aria-labelledby="executions-title">
        <div class="section-header">
          <h2 id="executions-title">Executions</h2>
          <StatusFilter value={status} onChange={(s) => setQuery({ status: s, page: 1 })} />
        </div>
        {list.state.status === "loading" && <Loading label="Loading executions" />}
        {list.state.status === "error" && <ErrorState error={list.state.error} onRetry={list.retry} />}
        {list.state.status === "ok" &&
          (list.state.data.executions.length === 0 ? (
            status || offset > 0 ? (
              <EmptyState title={`No ${status ?? ""} executions${offset > 0 ? " on this page" : ""}`}>
                <button type="button" class="btn" onClick={() => setQuery({ status: undefined, page: 1 })}>
                  Show all executions
                </button>
              </EmptyState>
            ) : (
              <EmptyState title="No executions yet">
                <p>This job has not run. Its runs will appear here as they happen.</p>
                {j && (
                  <button type="button" class="btn btn--primary" onClick={() => void actions.run(j)}>
                    Run now
                  </button>
                )}
              </EmptyState>
            )
          ) : (
            <div class={list.pending ? "pending" : undefined} aria-busy={list.pending}>
              <ExecutionList
                executions={list.state.data.executions}
                openId={openId}
                onToggle={(id) => setOpenId((cur) => (cur === id ? null : id))}
              />
              <Pagination
                label="Executions pages"
                info={pageInfo(offset, PAGE_SIZE, list.state.data.executions.length, list.state.data.total)}
                onPage={(p) => setQuery({ page: p })}
              />
            </div>
          ))}
      </section>
      {j && <JobRetentionCard job={j} onSaved={(saved) => job.setState({ status: "ok", data: saved })} />}
      {actions.dialogs}
    </main>
  );
}
