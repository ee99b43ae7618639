/**
 * Statistics: roll-ups of finished executions (they survive pruning). One job's, every job's
 * with what needs a look (running, failing, slow), and a line per job for the jobs list.
 */
import { requestJson } from "./http";
import { type PulseExecution, toPulseExecution } from "./executions";
import type { WireJobStats, WireJobsStats, WireOverallStats } from "./wire";

export type JobStats = WireJobStats;
/** What one job's and every job's statistics share: totals, percentiles and the series. */
export type StatsTotals = Pick<WireJobStats, "days" | "period" | "total" | "completed" | "failed" | "success_rate" | "duration_ms" | "series">;
/** How finished executions are bucketed: hourly for windows of up to 2 days, else UTC days. */
export type StatsPeriod = StatsTotals["period"];
/** One period of a window: what finished in it (zeros when nothing ran). */
export type StatsPoint = StatsTotals["series"][number];

export interface OverviewStats extends Omit<WireOverallStats, "running"> {
  running: PulseExecution[];
}
export type FailingJob = WireOverallStats["failing"][number];
export type SlowJob = WireOverallStats["slowest"][number];
export type RecentFailure = WireOverallStats["latest_failures"][number];

export type JobsStats = WireJobsStats;
/** One job's line in the jobs list: its rate over the window and its last outcomes, oldest first. */
export type JobOutcomes = WireJobsStats["jobs"][number];

/** The windows the UI offers, in days. */
export const STATS_WINDOWS = [1, 7, 30, 90] as const;

const enc = encodeURIComponent;

export async function getJobStats(jobId: string, days: number): Promise<JobStats> {
  return requestJson<WireJobStats>(`/jobs/${enc(jobId)}/stats`, { query: { days } });
}

export async function getOverviewStats(days = 1): Promise<OverviewStats> {
  const wire = await requestJson<WireOverallStats>("/stats", { query: { days } });
  return { ...wire, running: wire.running.map(toPulseExecution) };
}

export async function getJobsStats(days = 7): Promise<JobsStats> {
  return requestJson<WireJobsStats>("/stats/jobs", { query: { days } });
}
