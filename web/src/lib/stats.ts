/**
 * Statistics for people: success rates, window names, period labels, the sentences that stand in
 * for charts, and the columns uPlot draws. Pure functions, tested beside.
 */
import type { Job } from "../api/jobs";
import type { StatsPeriod, StatsPoint, StatsTotals } from "../api/stats";
import { formatDuration } from "./format";

/** "100%", "98.5%", "50%", "—" when nothing finished. Never "100%" for a rate below 1, nor "0%" above 0. */
export function formatSuccessRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return "—";
  if (rate >= 1) return "100%";
  if (rate <= 0) return "0%";
  const pct = Math.min(99.9, Math.max(0.1, Math.round(rate * 1000) / 10));
  return `${Number.isInteger(pct) ? pct : pct.toFixed(1)}%`;
}

/** The tone of a success rate, for colouring it: all good, some failures, mostly failing. */
export function rateTone(rate: number | null | undefined): "green" | "amber" | "red" | "grey" {
  if (rate === null || rate === undefined) return "grey";
  if (rate >= 0.99) return "green";
  if (rate >= 0.9) return "amber";
  return "red";
}

/** "24 hours", "7 days", "1 day"… for "the last …". */
export function windowName(days: number): string {
  if (days === 1) return "24 hours";
  return `${days} days`;
}

/** The short form for a window selector: "24 h", "7 d". */
export function windowShort(days: number): string {
  return days === 1 ? "24 h" : `${days} d`;
}

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * The label of one period: days are UTC days ("6 Dec 2025"), so they are named in UTC; hours
 * in local time ("6 Dec, 14:00"), as people read a clock.
 */
export function periodLabel(iso: string, period: StatsPeriod): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (period === "day") return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  return `${d.getDate()} ${MONTHS[d.getMonth()]}, ${pad(d.getHours())}:00`;
}

/** A tick of the time axis (`ts` in seconds): "6 Dec" for days (UTC), "14:00" for hours, the date at local midnight. */
export function axisLabel(ts: number, period: StatsPeriod): string {
  const d = new Date(ts * 1000);
  if (period === "day") return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
  if (d.getHours() === 0 && d.getMinutes() === 0) return `${d.getDate()} ${MONTHS[d.getMonth()]}`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

/** "last 20 runs: 18 completed, 2 failed": what an outcome strip says to a screen reader. */
export function outcomesText(recent: readonly string[]): string {
  if (recent.length === 0) return "no finished runs yet";
  const completed = recent.filter((s) => s === "completed").length;
  const failed = recent.length - completed;
  const parts = [];
  if (completed) parts.push(`${completed} completed`);
  if (failed) parts.push(`${failed} failed`);
  const head = recent.length === 1 ? "last run" : `last ${recent.length} runs`;
  if (recent.length === 1) return `${head}: ${recent[0]}`;
  return `${head}: ${parts.join(", ")}`;
}

/** The periods that had runs, for a table that stands in for a chart (empty ones left out). */
export function busyPoints(series: readonly StatsPoint[]): StatsPoint[] {
  return series.filter((p) => p.completed + p.failed > 0);
}

/** The sentence a screen reader hears for the runs chart. */
export function runsSummary(stats: Pick<StatsTotals, "days" | "period" | "completed" | "failed" | "series">): string {
  const head = `Runs per ${stats.period} over the last ${windowName(stats.days)}`;
  if (stats.completed + stats.failed === 0) return `${head}: none finished.`;
  let busiest: StatsPoint | undefined;
  for (const p of stats.series) {
    if (!busiest || p.completed + p.failed > busiest.completed + busiest.failed) busiest = p;
  }
  const total = `${stats.completed.toLocaleString("en")} completed and ${stats.failed.toLocaleString("en")} failed`;
  const peak = busiest
    ? `; the busiest ${stats.period} was ${periodLabel(busiest.start, stats.period)} with ${plural(busiest.completed + busiest.failed, "run")}`
    : "";
  return `${head}: ${total}${peak}.`;
}

/** The sentence a screen reader hears for the duration chart. */
export function durationSummary(stats: Pick<StatsTotals, "days" | "period" | "duration_ms" | "series">): string {
  const head = `95th percentile duration per ${stats.period} over the last ${windowName(stats.days)}`;
  const values = stats.series.map((p) => p.p95_ms).filter((v): v is number => v !== null);
  if (values.length === 0) return `${head}: no finished runs.`;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const range = lo === hi ? formatDuration(lo) : `from ${formatDuration(lo)} to ${formatDuration(hi)}`;
  const overall = stats.duration_ms.p95 !== null ? `; ${formatDuration(stats.duration_ms.p95)} over the whole window` : "";
  return `${head}: ${range}${overall}.`;
}

/** uPlot's columns: x in seconds, then one array per series (null: a gap). */
export type Columns = [number[], ...(number | null)[][]];

/**
 * The runs chart's columns, stacked: the failed bar is drawn first at the height of the whole
 * period (completed + failed), then the completed bar over its lower part.
 */
export function runsColumns(series: readonly StatsPoint[]): Columns {
  const xs = series.map((p) => Date.parse(p.start) / 1000);
  return [xs, series.map((p) => p.completed + p.failed), series.map((p) => p.completed)];
}

/** The duration chart's columns: the p95 of each period (gaps where nothing ran), and the window's p95 as a flat line. */
export function durationColumns(series: readonly StatsPoint[], overallP95: number | null): Columns {
  const xs = series.map((p) => Date.parse(p.start) / 1000);
  return [xs, series.map((p) => p.p95_ms), series.map(() => overallP95)];
}

/** Seconds in one period, for padding the x axis by half a bar on each side. */
export function periodSeconds(period: StatsPeriod): number {
  return period === "hour" ? 3600 : 86400;
}

/** Active jobs with a next run, soonest first. */
export function nextRuns(jobs: readonly Job[], limit: number): Job[] {
  return jobs
    .filter((j) => j.state === "active" && j.next_run_at)
    .sort((a, b) => Date.parse(a.next_run_at ?? "") - Date.parse(b.next_run_at ?? ""))
    .slice(0, limit);
}
