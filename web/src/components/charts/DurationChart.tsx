/** The 95th percentile duration per period and over the window, with the numbers as a table. */
import { useMemo, useState } from "preact/hooks";
import type { StatsTotals } from "../../api/stats";
import { formatDuration } from "../../lib/format";
import { busyPoints, durationColumns, durationSummary, periodLabel } from "../../lib/stats";
import { Chart } from "./Chart";

export function DurationChart({ stats, title = "Duration (p95)" }: { stats: StatsTotals; title?: string }) {
  const columns = useMemo(() => durationColumns(stats.series, stats.duration_ms.p95), [stats.series, stats.duration_ms.p95]);
  const [hover, setHover] = useState<number | null>(null);
  const point = hover === null ? undefined : stats.series[hover];
  const rows = busyPoints(stats.series);
  return (
    <figure class="chart" data-chart="duration">
      <figcaption class="chart-head">
        <span class="chart-title">{title}</span>
        <span class="chart-legend" aria-hidden="true">
          <span class="swatch swatch--line" /> p95 per {stats.period} <span class="swatch swatch--reference" /> p95 of the window
        </span>
      </figcaption>
      <p class="chart-readout" aria-hidden="true">
        {point
          ? `${periodLabel(point.start, stats.period)}: ${point.p95_ms === null ? "no runs" : `p95 ${formatDuration(point.p95_ms)}`}`
          : " "}
      </p>
      <Chart kind="duration" columns={columns} period={stats.period} label={durationSummary(stats)} onHover={setHover} />
      <details class="chart-data">
        <summary>Show as a table</summary>
        <table class="data-table">
          <caption class="sr-only">{durationSummary(stats)}</caption>
          <thead>
            <tr>
              <th scope="col">{stats.period === "day" ? "Day (UTC)" : "Hour"}</th>
              <th scope="col">Runs</th>
              <th scope="col">p95 duration</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={3} class="muted">
                  Nothing finished in this window.
                </td>
              </tr>
            )}
            {rows.map((p) => (
              <tr key={p.start}>
                <th scope="row">
                  <time dateTime={p.start}>{periodLabel(p.start, stats.period)}</time>
                </th>
                <td>{p.completed + p.failed}</td>
                <td>{p.p95_ms === null ? "—" : formatDuration(p.p95_ms)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr data-total>
              <th scope="row">Whole window</th>
              <td>{stats.total}</td>
              <td>{stats.duration_ms.p95 === null ? "—" : formatDuration(stats.duration_ms.p95)}</td>
            </tr>
          </tfoot>
        </table>
      </details>
    </figure>
  );
}
