/**
 * Runs: every execution of every job, newest first, filtered by what the URL says, a page at a
 * time ("Load more" follows the server's cursor). Runs that start or end arrive live; several
 * can be selected to cancel or re-run together; Export downloads exactly what the filter shows.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { describeError } from "../api/errors";
import type { PulseExecution } from "../api/executions";
import { authHeaders, getToken } from "../api/http";
import { listJobs } from "../api/jobs";
import { type ExportFormat, exportRunsUrl, type RunsQuery, searchRuns } from "../api/runs";
import { RunsFilters } from "../components/RunsFilters";
import { RunsTable } from "../components/RunsTable";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { toast } from "../components/Toasts";
import { useAsync } from "../hooks/useAsync";
import { appendPage, mergeHead, type RunsPage as Page } from "../lib/runs";
import { apiQuery, filterFromQuery, isFiltered, queryFromFilter, type RunsFilter } from "../lib/runsFilter";
import { useLiveMessages, useReconnect } from "../live/live";
import { navigate, useLocation } from "../router";
import { useRunActions } from "./useRunActions";

export const RUNS_PAGE_SIZE = 50;

async function downloadWithToken(url: string, filename: string): Promise<void> {
  const res = await fetch(url, { headers: authHeaders() });
  if (!res.ok) throw new Error(`the server answered ${res.status}`);
  const blob = await res.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

function ExportLinks({ query }: { query: RunsQuery }) {
  const link = (format: ExportFormat, label: string) => {
    const url = exportRunsUrl(query, format);
    const filename = `pulse-runs.${format}`;
    return (
      <a
        class="btn btn--small"
        href={url}
        download={filename}
        data-export={format}
        onClick={(e) => {
          if (!getToken()) return;
          e.preventDefault();
          downloadWithToken(url, filename).catch((err: unknown) => toast(`Could not export: ${describeError(err)}`, "error"));
        }}
      >
        <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
          <path d="M6 1.5v6.5M3 5.5L6 8.5l3-3M2 10.5h8" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" />
        </svg>
        {label}
      </a>
    );
  };
  return (
    <div class="actions" role="group" aria-label="Export the runs shown by the filter">
      {link("csv", "Export CSV")}
      {link("ndjson", "Export NDJSON")}
    </div>
  );
}

export function RunsPage() {
  const { query } = useLocation();
  const filter = useMemo(() => filterFromQuery(query), [query.toString()]);
  const qs = queryFromFilter(filter);
  const api = useMemo(() => apiQuery(filter), [qs]);

  const jobs = useAsync(listJobs, []);
  const names = useMemo(() => new Map((jobs.state.data ?? []).map((j) => [j.id, j.name])), [jobs.state.data]);

  const list = useAsync<Page<PulseExecution>>(() => searchRuns(api, RUNS_PAGE_SIZE), [qs], { keepPrevious: true });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  useEffect(() => {
    setSelected(new Set());
    setMoreError(null);
  }, [qs]);

  const put = (fn: (p: Page<PulseExecution>) => Page<PulseExecution>) =>
    list.setState((s) => (s.status === "ok" ? { status: "ok", data: fn(s.data) } : s));

  // The first page again, merged into what is shown (live arrivals, ends, a reconnect).
  const qsRef = useRef(qs);
  qsRef.current = qs;
  const refreshHead = async () => {
    const asked = qsRef.current;
    try {
      const head = await searchRuns(api, RUNS_PAGE_SIZE);
      if (asked !== qsRef.current) return;
      put((cur) => mergeHead(cur, head));
      if (head.executions.some((e) => !names.has(e.scheduled_job_id))) jobs.reload();
    } catch {
      // The next message or reconnect tries again; what is shown stays.
    }
  };
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);
  const refreshSoon = () => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      void refreshHead();
    }, 300);
  };

  useLiveMessages((msg) => {
    if (list.state.status !== "ok") return;
    switch (msg.type) {
      case "pulse_execution_cancelling":
        put((p) => ({
          ...p,
          executions: p.executions.map((e) => (e.id === msg.execution_id && !e.cancel_requested_at ? { ...e, cancel_requested_at: msg.requested_at } : e)),
        }));
        return;
      case "pulse_execution_completed":
      case "pulse_execution_failed": {
        // Shown ended at once; the record (summary, exit code) comes with the refresh.
        const ended: Partial<PulseExecution> =
          msg.type === "pulse_execution_completed" ? { status: "completed", duration_ms: msg.duration_ms } : { status: "failed", error_message: msg.error };
        put((p) => ({ ...p, executions: p.executions.map((e) => (e.id === msg.execution_id ? { ...e, ...ended } : e)) }));
        refreshSoon();
        return;
      }
      case "pulse_execution_started":
        refreshSoon();
        return;
      case "pulse_job_changed":
        if (msg.change === "created" || msg.change === "updated" || msg.change === "deleted") jobs.reload();
        return;
      default:
    }
  });
  useReconnect(() => void refreshHead());

  const loadMore = async (cursor: string) => {
    setLoadingMore(true);
    setMoreError(null);
    const asked = qs;
    try {
      const next = await searchRuns(api, RUNS_PAGE_SIZE, cursor);
      if (asked === qsRef.current) put((cur) => appendPage(cur, next));
    } catch (err) {
      setMoreError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  const setFilter = (next: RunsFilter) => {
    const nextQs = queryFromFilter(next);
    if (nextQs !== qs) navigate(`/runs${nextQs ? `?${nextQs}` : ""}`);
  };

  const executions = list.state.data?.executions ?? [];
  const chosen = executions.filter((e) => selected.has(e.id));
  const toCancel = chosen.filter((e) => e.status === "running" && !e.cancel_requested_at);
  const toRerun = chosen.filter((e) => e.status !== "running");
  const nameOf = (id: string) => names.get(id) ?? id;

  const actions = useRunActions({
    nameOf: (e) => nameOf(e.scheduled_job_id),
    onCancelled: (cancelled) => {
      const byId = new Map(cancelled.map((c) => [c.id, c]));
      put((p) => ({ ...p, executions: p.executions.map((e) => byId.get(e.id) ?? e) }));
      setSelected(new Set());
    },
    onRerun: () => {
      setSelected(new Set());
      refreshSoon();
    },
  });

  return (
    <main class="page" id="main">
      <div class="page-header">
        <div>
          <h1>Runs</h1>
          <p class="muted page-sub">Every run of every job, newest first</p>
        </div>
        <ExportLinks query={api} />
      </div>
      <section class="card" aria-label="Filters">
        <RunsFilters filter={filter} jobs={jobs.state.data ?? []} onChange={setFilter} />
      </section>
      <section class="card" aria-labelledby="runs-list-title">
        <div class="section-header">
          <h2 id="runs-list-title">
            {isFiltered(filter) ? "Matching runs" : "All runs"}
            {list.state.status === "ok" && (
              <span class="count-pill" data-count={executions.length}>
                {executions.length}
                {list.state.data.nextCursor ? "+" : ""}
              </span>
            )}
          </h2>
          {chosen.length > 0 && (
            <div class="bulk-bar" role="group" aria-label="Selected runs">
              <span class="muted" aria-live="polite">
                {chosen.length} selected
              </span>
              <button type="button" class="btn btn--small" disabled={toRerun.length === 0} onClick={() => actions.askRerun(toRerun)}>
                Re-run {toRerun.length}
              </button>
              <button type="button" class="btn btn--small btn--danger-ghost" disabled={toCancel.length === 0} onClick={() => actions.askCancel(toCancel)}>
                Cancel {toCancel.length}
              </button>
              <button type="button" class="btn btn--small btn--ghost" onClick={() => setSelected(new Set())}>
                Clear selection
              </button>
            </div>
          )}
        </div>
        {list.state.status === "loading" && <Loading label="Loading runs" />}
        {list.state.status === "error" && <ErrorState error={list.state.error} onRetry={list.retry} />}
        {list.state.status === "ok" &&
          (executions.length === 0 ? (
            isFiltered(filter) ? (
              <EmptyState title="No runs match these filters">
                <button type="button" class="btn" onClick={() => setFilter({})}>
                  Clear the filters
                </button>
              </EmptyState>
            ) : (
              <EmptyState title="No runs yet">
                <p>Runs of every job appear here as they happen.</p>
              </EmptyState>
            )
          ) : (
            <div class={list.pending ? "pending table-wrap" : "table-wrap"} aria-busy={list.pending}>
              <RunsTable
                executions={executions}
                jobName={nameOf}
                selected={selected}
                onSelect={(ids, on) =>
                  setSelected((cur) => {
                    const next = new Set(cur);
                    for (const id of ids) {
                      if (on) next.add(id);
                      else next.delete(id);
                    }
                    return next;
                  })
                }
                onCancel={(e) => actions.askCancel([e])}
                onRerun={(e) => actions.askRerun([e])}
              />
              <div class="load-more">
                {moreError !== null && (
                  <p class="form-error" role="alert">
                    Could not load more runs: {describeError(moreError)}
                  </p>
                )}
                {list.state.data.nextCursor ? (
                  <button
                    type="button"
                    class="btn"
                    disabled={loadingMore}
                    onClick={() => {
                      const c = list.state.data?.nextCursor;
                      if (c) void loadMore(c);
                    }}
                  >
                    {loadingMore ? "Loading…" : "Load more"}
                  </button>
                ) : (
                  <span class="muted small">{executions.length === 1 ? "The only run" : `All ${executions.length} runs shown`}</span>
                )}
              </div>
            </div>
          ))}
      </section>
      {actions.dialog}
    </main>
  );
}
