/**
 * Retention: the global policy (settings), a job's overrides of it, and prunes (run now, or
 * looked back at).
 */
import { requestJson } from "./http";
import { toJob, type Job } from "./jobs";
import type { WireJob } from "./wire";

/** Days after which finished executions of a status go; null keeps them forever. */
export interface KeepDays {
  completed?: number | null;
  failed?: number | null;
}

/** A whole policy, as the global one and a prune's effective ones are given. */
export interface RetentionPolicy {
  keep_days: KeepDays;
  /** At most this many executions per job; null: no cap. */
  keep_max: number | null;
  /** The newest this many executions of a job are always kept. */
  keep_min: number;
}

/** The rules a job overrides; those left out come from the global policy. */
export interface RetentionRules {
  keep_days?: KeepDays;
  keep_max?: number | null;
  keep_min?: number;
}

export interface JobPrune {
  job_id: string;
  deleted: number;
  policy: RetentionPolicy;
}

export interface PruneReport {
  deleted: number;
  dry_run: boolean;
  started_at: string;
  finished_at: string;
  node_id: string;
  trigger: "manual" | "schedule";
  policy: RetentionPolicy;
  /** The jobs that lost (or, dry, would lose) executions. */
  jobs: JobPrune[];
}

export async function getRetentionPolicy(): Promise<RetentionPolicy> {
  return requestJson<RetentionPolicy>("/settings/retention");
}

export async function saveRetentionPolicy(policy: RetentionPolicy): Promise<RetentionPolicy> {
  return requestJson<RetentionPolicy>("/settings/retention", { method: "PUT", body: policy });
}

/** The job's own rules (undefined: it follows the global policy). */
export function jobRetention(job: Job): RetentionRules | undefined {
  return (job as Job & { retention?: RetentionRules }).retention;
}

/** Override the job's rules; null returns it to the global policy. */
export async function setJobRetention(jobId: string, rules: RetentionRules | null): Promise<Job> {
  return toJob(
    await requestJson<WireJob>(`/jobs/${encodeURIComponent(jobId)}`, { method: "PATCH", body: { retention: rules } }),
  );
}

export async function prune(dryRun: boolean): Promise<PruneReport> {
  return requestJson<PruneReport>("/maintenance/prune", { method: "POST", body: { dry_run: dryRun } });
}

export async function listPrunes(limit = 20): Promise<PruneReport[]> {
  const r = await requestJson<{ prunes: PruneReport[] }>("/maintenance/prunes", { query: { limit } });
  return r.prunes;
}
