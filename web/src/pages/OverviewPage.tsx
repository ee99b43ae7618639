/**
 * The overview: what runs now, what failed in the last 24 hours, what runs next, and the jobs
 * that fail most or take longest. Live: refetched as executions start and end.
 */
import type { ComponentChildren } from "preact";
import { type Job, listJobs } from "../api/jobs";
import type { OverviewStats } from "../api/stats";
import { getOverviewStats } from "../api/stats";
import { RunsChart } from "../components/charts/RunsChart";
import { Duration } from "../components/Duration";
import { ErrorState, Loading } from "../components/States";
import { StatTiles } from "../components/StatTiles";
import { RelativeTime } from "../components/Time";
import { useAsync } from "../hooks/useAsync";
import { useRunEnds } from "../hooks/useRunEnds";
import { stripAnsi } from "../lib/ansi";
import { formatDuration } from "../lib/format";
import { formatSuccessRate, nextRuns, rateTone } from "../lib/stats";
import { useLiveMessages } from "../live/live";
import { Link } from "../router";

const enc = encodeURIComponent;

export function OverviewPage() {
  const stats = useAsync(() => getOverviewStats(1), []);
  const jobs = useAsync(listJobs, []);
  useRunEnds(stats.reload, { starts: true });
  useRunEnds(jobs.reload);
  useLiveMessages((m) => {
    if (m.type === "pulse_job_changed") jobs.reload();
  });
  const names = new Map((jobs.state.data ?? []).map((j) => [j.id, j.name]));
  const s = stats.state.data;
  return (
    <main class="page" id="main">
      <div class="page-header">
        <div>
          <h1>Overview</h1>
          <p class="muted page-sub">The last 24 hours across all jobs</p>
        </div>
      </div>
      {stats.state.status === "loading" && <Loading label="Loading the overview" />}
      {stats.state.status === "error" && <ErrorState error={stats.state.error} onRetry={stats.retry} />}
      {s && (
        <>
          <section class="card" aria-labelledby="totals-title">
            <div class="section-header">
              <h2 id="totals-title">Runs</h2>
            </div>
            <div class="stats">
              <StatTiles stats={s} />
              <RunsChart stats={s} title="Runs per hour, all jobs" />
            </div>
          </section>
          <div class="grid-2">
            <Running stats={s} names={names} />
            <NextRuns jobs={jobs.state.data} error={jobs.state.status === "error"} />
          </div>
          <Failures stats={s} />
          <div class="grid-2">
            <Failing stats={s} />
            <Slowest stats={s} />
          </div>
        </>
      )}
    </main>
  );
}

function Section({ id, title, children, count }: { id: string; title: string; count?: number; children: ComponentChildren }) {
  return (
    <section class="card" aria-labelledby={id} data-section={id}>
      <div class="section-header">
        <h2 id={id}>
          {title}
          {count !== undefined && <span class="count-pill">{count}</span>}
        </h2>
      </div>
      {children}
    </section>
  );
}

function JobLink({ id, name }: { id: string; name: string | undefined }) {
  return (
    <Link href={`/jobs/${enc(id)}`} class="job-link">
      {name ?? id}
    </Link>
  );
}

function Running({ stats, names }: { stats: OverviewStats; names: Map<string, string> }) {
  return (
    <Section id="running-title" title="Running now" count={stats.running.length}>
      {stats.running.length === 0 ? (
        <p class="section-empty muted">Nothing is running.</p>
      ) : (
        <ul class="plain-list">
          {stats.running.map((e) => (
            <li key={e.id} class="plain-item">
              <JobLink id={e.scheduled_job_id} name={names.get(e.scheduled_job_id)} />
              <span class="muted">
                for <Duration execution={e} />
              </span>
              <Link href={`/executions/${enc(e.id)}`} class="item-end">
                view<span class="sr-only"> execution {e.id}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function NextRuns({ jobs, error }: { jobs: Job[] | undefined; error: boolean }) {
  const next = jobs ? nextRuns(jobs, 8) : [];
  return (
    <Section id="next-title" title="Next runs">
      {error && <p class="section-empty muted">The jobs could not be loaded.</p>}
      {jobs && next.length === 0 && <p class="section-empty muted">No active job is scheduled.</p>}
      {next.length > 0 && (
        <ul class="plain-list">
          {next.map((j) => (
            <li key={j.id} class="plain-item">
              <JobLink id={j.id} name={j.name} />
              <span class="muted">{j.schedule_description}</span>
              <span class="item-end">
                <RelativeTime iso={j.next_run_at} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function Failures({ stats }: { stats: OverviewStats }) {
  const list = stats.latest_failures;
  return (
    <Section id="failures-title" title="Failures in the last 24 hours" count={stats.failed}>
      {list.length === 0 ? (
        <p class="section-empty muted">No run failed in the last 24 hours.</p>
      ) : (
        <div class="table-wrap">
          <table class="data-table data-table--wide">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Started</th>
                <th scope="col">Took</th>
                <th scope="col">Error</th>
                <th scope="col">
                  <span class="sr-only">Execution</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((f) => (
                <tr key={f.id} data-execution-id={f.id}>
                  <td>
                    <JobLink id={f.scheduled_job_id} name={f.job_name ?? undefined} />
                  </td>
                  <td class="nowrap">
                    <RelativeTime iso={f.started_at} />
                  </td>
                  <td class="nowrap">{f.duration_ms === null ? "—" : formatDuration(f.duration_ms)}</td>
                  <td class="cell-error">{f.error_message ? stripAnsi(f.error_message) : "—"}</td>
                  <td class="nowrap">
                    <Link href={`/executions/${enc(f.id)}`}>
                      view<span class="sr-only"> the failed execution of {f.job_name ?? f.scheduled_job_id}</span>
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {stats.failed > list.length && list.length > 0 && (
        <p class="section-note muted">The latest {list.length} of {stats.failed} failures.</p>
      )}
    </Section>
  );
}

function Failing({ stats }: { stats: OverviewStats }) {
  return (
    <Section id="failing-title" title="Failing most">
      {stats.failing.length === 0 ? (
        <p class="section-empty muted">No job failed.</p>
      ) : (
        <div class="table-wrap">
        <table class="data-table data-table--wide">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Failed</th>
              <th scope="col">Success rate</th>
            </tr>
          </thead>
          <tbody>
            {stats.failing.map((f) => (
              <tr key={f.job_id}>
                <td>
                  <JobLink id={f.job_id} name={f.name} />
                </td>
                <td>
                  {f.failed} of {f.total}
                </td>
                <td class={`rate rate--${rateTone(f.success_rate)}`}>{formatSuccessRate(f.success_rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </Section>
  );
}

function Slowest({ stats }: { stats: OverviewStats }) {
  const ms = (v: number | null) => (v === null ? "—" : formatDuration(v));
  return (
    <Section id="slowest-title" title="Slowest">
      {stats.slowest.length === 0 ? (
        <p class="section-empty muted">Nothing finished.</p>
      ) : (
        <div class="table-wrap">
        <table class="data-table data-table--wide">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">p95</th>
              <th scope="col">Max</th>
              <th scope="col">Runs</th>
            </tr>
          </thead>
          <tbody>
            {stats.slowest.map((j) => (
              <tr key={j.job_id}>
                <td>
                  <JobLink id={j.job_id} name={j.name} />
                </td>
                <td>{ms(j.p95_ms)}</td>
                <td>{ms(j.max_ms)}</td>
                <td>{j.total}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </Section>
  );
}
