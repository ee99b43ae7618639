/** A job's statistics on its page: headline numbers and two charts over a chosen window. */
import { useState } from "preact/hooks";
import { getJobStats } from "../api/stats";
import { DurationChart } from "../components/charts/DurationChart";
import { RunsChart } from "../components/charts/RunsChart";
import { ErrorState, Loading } from "../components/States";
import { StatTiles } from "../components/StatTiles";
import { WindowPicker } from "../components/WindowPicker";
import { useAsync } from "../hooks/useAsync";
import { useRunEnds } from "../hooks/useRunEnds";
import { windowName } from "../lib/stats";

const WINDOW_KEY = "pulse.statsWindow";

function savedWindow(): number {
  try {
    const n = Number(localStorage.getItem(WINDOW_KEY));
    return [1, 7, 30, 90].includes(n) ? n : 7;
  } catch {
    return 7;
  }
}

export function JobStatsCard({ jobId }: { jobId: string }) {
  const [days, setDays] = useState(savedWindow);
  const stats = useAsync(() => getJobStats(jobId, days), [jobId, days], { keepPrevious: true });
  useRunEnds(stats.reload, { jobId });

  const choose = (d: number) => {
    setDays(d);
    try {
      localStorage.setItem(WINDOW_KEY, String(d));
    } catch {
      // No storage: the choice lasts for this page.
    }
  };

  const s = stats.state.data;
  return (
    <section class="card" aria-labelledby="stats-title" data-section="stats">
      <div class="section-header">
        <h2 id="stats-title">
          Statistics <span class="muted heading-sub">last {windowName(days)}</span>
        </h2>
        <WindowPicker value={days} onChange={choose} />
      </div>
      {stats.state.status === "loading" && <Loading label="Loading statistics" rows={3} />}
      {stats.state.status === "error" && <ErrorState error={stats.state.error} onRetry={stats.retry} />}
      {s && (
        <div class={stats.pending ? "stats pending" : "stats"} aria-busy={stats.pending}>
          <StatTiles stats={s} />
          <div class="charts">
            <RunsChart stats={s} title={`Runs per ${s.period}`} />
            <DurationChart stats={s} title={`Duration per ${s.period}`} />
          </div>
        </div>
      )}
    </section>
  );
}
