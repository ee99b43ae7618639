/** Runs per period, stacked by status, with the same numbers as a table for screen readers. */
import { useMemo, useState } from "preact/hooks";
import type { StatsTotals } from "../../api/stats";
import { busyPoints, periodLabel, runsColumns, runsSummary } from "../../lib/stats";
import { Chart } from "./Chart";

export function RunsChart({ stats, title = "Runs" }: { stats: StatsTotals; title?: string }) {
  const columns = useMemo(() => runsColumns(stats.series), [stats.series]);
  const [hover, setHover] = useState<number | null>(null);
  const point = hover === null ? undefined : stats.series[hover];
  const rows = busyPoints(stats.series);
  const periodHead = stats.period === "day" ? "Day (UTC)" : "Hour";
  return (
    <figure class="chart" data-chart="runs">
      <figcaption class="chart-head">
        <span class="chart-title">{title}</span>
        <span class="chart-legend" aria-hidden="true">
          <span class="swatch swatch--completed" /> completed <span class="swatch swatch--failed" /> failed
        </span>
      </figcaption>
      <p class="chart-readout" aria-hidden="true">
        {point ? `${periodLabel(point.start, stats.period)}: ${point.completed} completed, ${point.failed} failed` : " "}
      </p>
      <Chart kind="runs" columns={columns} period={stats.period} label={runsSummary(stats)} onHover={setHover} />
      <details class="chart-data">
        <summary>Show as a table</summary>
        <table class="data-table">
          <caption class="sr-only">{runsSummary(stats)}</caption>
          <thead>
            <tr>
              <th scope="col">{periodHead}</th>
              <th scope="col">Completed</th>
              <th scope="col">Failed</th>
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
                <td>{p.completed}</td>
                <td>{p.failed}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr data-total>
              <th scope="row">Total</th>
              <td data-completed>{stats.completed}</td>
              <td data-failed>{stats.failed}</td>
            </tr>
          </tfoot>
        </table>
        {rows.length > 0 && <p class="muted small">Periods with no finished runs are left out.</p>}
      </details>
    </figure>
  );
}
