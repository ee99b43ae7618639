/**
 * The Runs page's filter, kept in the URL's query string (so back, forward, reload and a shared
 * link all show the same runs), and its translation into the API's query for
 * `GET /executions` and `/executions/export`. Pure, tested beside.
 */
import type { ExecutionStatus, ExecutionTrigger } from "../api/executions";
import type { RunsQuery } from "../api/runs";

export interface RunsFilter {
  status?: ExecutionStatus;
  jobId?: string;
  trigger?: ExecutionTrigger;
  node?: string;
  /** The first day shown, a local date (YYYY-MM-DD), inclusive. */
  from?: string;
  /** The last day shown, a local date, inclusive. */
  to?: string;
  /** Words of the error message or result summary. */
  q?: string;
}

export const STATUSES: readonly ExecutionStatus[] = ["running", "completed", "failed"];
export const TRIGGERS: readonly ExecutionTrigger[] = ["schedule", "manual", "rerun", "retry"];

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function pick<T extends string>(value: string | null, allowed: readonly T[]): T | undefined {
  return allowed.find((x) => x === value);
}

function text(value: string | null): string | undefined {
  const t = value?.trim();
  return t ? t : undefined;
}

function day(value: string | null): string | undefined {
  return value && DATE.test(value) && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/** The filter a query string holds; what it does not understand is ignored. */
export function filterFromQuery(query: URLSearchParams): RunsFilter {
  const f: RunsFilter = {};
  const status = pick(query.get("status"), STATUSES);
  if (status) f.status = status;
  const trigger = pick(query.get("trigger"), TRIGGERS);
  if (trigger) f.trigger = trigger;
  const jobId = text(query.get("job"));
  if (jobId) f.jobId = jobId;
  const node = text(query.get("node"));
  if (node) f.node = node;
  const from = day(query.get("from"));
  if (from) f.from = from;
  const to = day(query.get("to"));
  if (to) f.to = to;
  const q = text(query.get("q"));
  if (q) f.q = q;
  return f;
}

/** The query string for a filter, in a stable order ("" for no filter). */
export function queryFromFilter(f: RunsFilter): string {
  const q = new URLSearchParams();
  if (f.status) q.set("status", f.status);
  if (f.jobId) q.set("job", f.jobId);
  if (f.trigger) q.set("trigger", f.trigger);
  if (f.node) q.set("node", f.node);
  if (f.from) q.set("from", f.from);
  if (f.to) q.set("to", f.to);
  if (f.q) q.set("q", f.q);
  return q.toString();
}

/** Midnight at the start of a local date, as an instant. */
function localMidnight(date: string, addDays = 0): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d + addDays).toISOString();
}

/**
 * The API's query for a filter: local dates become instants (`to` includes its whole day, so the
 * bound is the next local midnight, which the API excludes).
 */
export function apiQuery(f: RunsFilter): RunsQuery {
  const q: RunsQuery = {};
  if (f.status) q.status = f.status;
  if (f.jobId) q.job_id = f.jobId;
  if (f.trigger) q.trigger = f.trigger;
  if (f.node) q.node = f.node;
  if (f.from) q.started_after = localMidnight(f.from);
  if (f.to) q.started_before = localMidnight(f.to, 1);
  if (f.q) q.q = f.q;
  return q;
}

/** Whether any criterion is set. */
export function isFiltered(f: RunsFilter): boolean {
  return queryFromFilter(f) !== "";
}

/** Whether an execution with these facts belongs in the filtered list (for live arrivals). */
export function matchesFilter(
  f: RunsFilter,
  e: { status: ExecutionStatus; scheduled_job_id: string; trigger?: ExecutionTrigger; node_id?: string },
): boolean {
  if (f.status && e.status !== f.status) return false;
  if (f.jobId && e.scheduled_job_id !== f.jobId) return false;
  if (f.trigger && e.trigger !== f.trigger) return false;
  if (f.node && e.node_id !== f.node) return false;
  // A live arrival started now: it is outside a window that ended before today, and its words
  // are not known yet.
  if (f.to && Date.parse(localMidnight(f.to, 1)) <= Date.now()) return false;
  if (f.q) return false;
  return true;
}
