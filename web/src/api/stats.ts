/**
 * Statistics: roll-ups of finished executions (they survive pruning). One job's, every job's
 * with what needs a look (running, failing, slow), and a line per job for the jobs list.
 */
import { requestJson } from "./http";
import type { ExecutionStatus, PulseExecution } from "./executions";
import { dropNulls, type WireExecution } from "./wire";

/** How finished executions are bucketed: hourly for windows of up to 2 days, else UTC days. */
export type StatsPeriod = "hour" | "day";

export interface DurationPercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** One period of a window: what finished in it (zeros when nothing ran). */
export interface StatsPoint {
  start: string;
  completed: number;
  failed: number;
  p95_ms: number | null;
}

export interface StatsTotals {
  days: number;
  period: StatsPeriod;
  total: number;
  completed: number;
  failed: number;
  /** completed / total, 0..1; null when nothing finished. */
  success_rate: number | null;
  duration_ms: DurationPercentiles;
  /** One point per period of the window, oldest first. */
  series: StatsPoint[];
}

export interface JobStats extends StatsTotals {
  job_id: string;
}

export interface FailingJob {
  job_id: string;
  name: string;
  failed: number;
  total: number;
  success_rate: number | null;
}

export interface SlowJob {
  job_id: string;
  name: string;
  p95_ms: number | null;
  max_ms: number | null;
  total: number;
}

export interface RecentFailure {
  id: string;
  scheduled_job_id: string;
  job_name: string;
  started_at: string;
  duration_ms: number | null;
  error_message: string | null;
}

interface WireOverviewStats extends StatsTotals {
  running: WireExecution[];
  failing: FailingJob[];
  slowest: SlowJob[];
  latest_failures: RecentFailure[];
}

export interface OverviewStats extends StatsTotals {
  running: PulseExecution[];
  failing: FailingJob[];
  slowest: SlowJob[];
  latest_failures: RecentFailure[];
}

/** One job's line in the jobs list: its rate over the window and its last outcomes. */
export interface JobOutcomes {
  job_id: string;
  total: number;
  completed: number;
  failed: number;
  success_rate: number | null;
  /** Statuses of the job's last finished executions (up to 20), oldest first. */
  recent: Exclude<ExecutionStatus, "running">[];
}

export interface JobsStats {
  days: number;
  jobs: JobOutcomes[];
}

/** The windows the UI offers, in days. */
export const STATS_WINDOWS = [1, 7, 30, 90] as const;

const enc = encodeURIComponent;

export async function getJobStats(jobId: string, days: number): Promise<JobStats> {
  return requestJson<JobStats>(`/jobs/${enc(jobId)}/stats`, { query: { days } });
}

export async function getOverviewStats(days = 1): Promise<OverviewStats> {
  const wire = await requestJson<WireOverviewStats>("/stats", { query: { days } });
  return { ...wire, running: wire.running.map((e) => dropNulls(e)) };
}

export async function getJobsStats(days = 7): Promise<JobsStats> {
  return requestJson<JobsStats>("/stats/jobs", { query: { days } });
}
