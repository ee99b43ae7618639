/**
 * The uPlot side of the charts, loaded on demand (only pages with a chart pay for it): the
 * options of the two kinds of chart Pulse draws, in the app's colours.
 */
import uPlot from "uplot";
import type { StatsPeriod } from "../../api/stats";
import { formatDuration } from "../../lib/format";
import { axisLabel, type Columns, periodSeconds } from "../../lib/stats";

export type ChartKind = "runs" | "duration";

/** Colours read from the page's CSS variables, so the charts follow light and dark mode. */
export interface ChartColours {
  completed: string;
  failed: string;
  line: string;
  reference: string;
  grid: string;
  axis: string;
}

export interface PlotSpec {
  kind: ChartKind;
  el: HTMLElement;
  width: number;
  height: number;
  columns: Columns;
  period: StatsPeriod;
  colours: ChartColours;
  onHover: (index: number | null) => void;
}

const FONT = "11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
// Steps for counts on the y axis: whole runs only.
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 1_000_000];

function axis(c: ChartColours, extra: uPlot.Axis = {}): uPlot.Axis {
  return {
    stroke: c.axis,
    font: FONT,
    grid: { stroke: c.grid, width: 1 },
    ticks: { stroke: c.grid, width: 1, size: 4 },
    ...extra,
  };
}

function options(spec: PlotSpec): uPlot.Options {
  const { kind, colours: c, period } = spec;
  const half = periodSeconds(period) / 2;
  const opts: uPlot.Options = {
    width: spec.width,
    height: spec.height,
    legend: { show: false },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    cursor: { drag: { x: false, y: false }, points: { show: kind === "duration" } },
    scales: {
      // Half a period of room on each side, so the first and last bars are whole.
      x: { time: true, range: (_u, min, max) => [min - half, max + half] },
      y: {
        range: (_u, _min, max) =>
          kind === "runs" ? [0, Math.max(1, max)] : [0, max > 0 ? max * 1.15 : 1000],
      },
    },
    axes: [
      axis(c, { space: 56, values: (_u, ticks) => ticks.map((t) => axisLabel(t, period)) }),
      kind === "runs"
        ? axis(c, { incrs: COUNT_STEPS, size: 40, values: (_u, vals) => vals.map((v) => v.toLocaleString("en")) })
        : axis(c, { size: 64, values: (_u, vals) => vals.map((v) => formatDuration(v)) }),
    ],
    series: [{}],
    hooks: {
      setCursor: [(u) => spec.onHover(u.cursor.idx ?? null)],
    },
  };
  // Days are UTC days: their ticks are labelled in UTC, or they would straddle local midnight.
  if (period === "day") opts.tzDate = (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");
  if (kind === "runs") {
    const bars = uPlot.paths.bars?.({ size: [0.75, 28], gap: 1 });
    // Stacked: the failed bar is the period's whole height, the completed one is drawn over its foot.
    opts.series.push(
      { label: "Failed", stroke: c.failed, fill: c.failed, width: 0, paths: bars, points: { show: false } },
      { label: "Completed", stroke: c.completed, fill: c.completed, width: 0, paths: bars, points: { show: false } },
    );
  } else {
    opts.series.push(
      { label: "p95", stroke: c.line, width: 2, spanGaps: false, points: { show: true, size: 5, fill: c.line } },
      { label: "p95 of the window", stroke: c.reference, width: 1, dash: [5, 4], points: { show: false } },
    );
  }
  return opts;
}

/** A uPlot chart in `spec.el`; the caller destroys it. */
export function createPlot(spec: PlotSpec): uPlot {
  return new uPlot(options(spec), spec.columns as uPlot.AlignedData, spec.el);
}
