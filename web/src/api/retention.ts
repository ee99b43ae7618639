/**
 * Retention: the global policy (settings), a job's overrides of it, and prunes (run now, or
 * looked back at).
 */
import { requestJson } from "./http";
import { type Job, updateJob } from "./jobs";
import type { WirePrune, WirePrunes, WireRetentionPolicy, WireRetentionRules } from "./wire";

/** A whole policy, as the global one and a prune's effective ones are given. */
export type RetentionPolicy = WireRetentionPolicy;
/** The rules a job overrides; those left out come from the global policy. */
export type RetentionRules = WireRetentionRules;
/** Days per status after which finished executions go; null keeps them forever. */
export type KeepDays = NonNullable<RetentionRules["keep_days"]>;
export type PruneReport = WirePrune;
export type JobPrune = PruneReport["jobs"][number];

export async function getRetentionPolicy(): Promise<RetentionPolicy> {
  return requestJson<WireRetentionPolicy>("/settings/retention");
}

export async function saveRetentionPolicy(policy: RetentionRules): Promise<RetentionPolicy> {
  return requestJson<WireRetentionPolicy>("/settings/retention", { method: "PUT", body: policy });
}

const count = (v: unknown): v is number | null => v === null || typeof v === "number";

/**
 * The job's own rules (undefined: it follows the global policy). The server sends them as an
 * open object; the rules this UI knows are picked out of it, each checked.
 */
export function jobRetention(job: Pick<Job, "retention">): RetentionRules | undefined {
  const r = job.retention;
  if (!r) return undefined;
  const rules: RetentionRules = {};
  const days = r.keep_days;
  if (typeof days === "object" && days !== null) {
    const d = days as Record<string, unknown>;
    const keep: KeepDays = {};
    if ("completed" in d && count(d.completed)) keep.completed = d.completed;
    if ("failed" in d && count(d.failed)) keep.failed = d.failed;
    rules.keep_days = keep;
  }
  if ("keep_max" in r && count(r.keep_max)) rules.keep_max = r.keep_max;
  if ("keep_min" in r && typeof r.keep_min === "number") rules.keep_min = r.keep_min;
  return rules;
}

/** Override the job's rules; null returns it to the global policy. */
export async function setJobRetention(jobId: string, rules: RetentionRules | null): Promise<Job> {
  return updateJob(jobId, { retention: rules });
}

export async function prune(dryRun: boolean): Promise<PruneReport> {
  return requestJson<WirePrune>("/maintenance/prune", { method: "POST", body: { dry_run: dryRun } });
}

export async function listPrunes(limit = 20): Promise<PruneReport[]> {
  return (await requestJson<WirePrunes>("/maintenance/prunes", { query: { limit } })).prunes;
}
