/**
 * How live messages change what a page shows, as pure functions. A message carries only a few
 * fields, so pages apply it at once (the badge turns green without waiting) and then refetch the
 * record for the rest (result summary, exit code); these functions return whether to do so.
 */
import type { ExecutionStatus, PulseExecution } from "../api/executions";
import type { Job } from "../api/jobs";
import { type ServerMessage } from "./messages";

export interface ExecutionListState {
  jobId: string;
  executions: PulseExecution[];
  total: number;
  offset: number;
  limit: number;
  status: ExecutionStatus | undefined;
}

export interface Applied<S> {
  state: S;
  /** Ids of records whose full form should be fetched again. */
  refetch: string[];
}

/** Apply a message to one page of a job's executions. */
export function applyToExecutions(
  s: ExecutionListState,
  msg: ServerMessage,
  nowIso: string,
): Applied<ExecutionListState> {
  if (msg.type === "pulse_execution_started") {
    if (msg.job_id !== s.jobId) return { state: s, refetch: [] };
    if (s.executions.some((e) => e.id === msg.execution_id)) return { state: s, refetch: [msg.execution_id] };
    const shown = s.status === undefined || s.status === "running";
    if (!shown) return { state: s, refetch: [] };
    const total = s.total + 1;
    // Only the first page shows the newest; later pages shift by one, which a refetch settles.
    if (s.offset > 0) return { state: { ...s, total }, refetch: [] };
    const placeholder: PulseExecution = {
      id: msg.execution_id,
      scheduled_job_id: msg.job_id,
      status: "running",
      started_at: nowIso,
      trigger: "schedule",
      attempt: 1,
      log_bytes: 0,
      log_truncated: false,
      log_dropped_bytes: 0,
    };
    const executions = [placeholder, ...s.executions].slice(0, s.limit);
    return { state: { ...s, executions, total }, refetch: [msg.execution_id] };
  }
  if (msg.type === "pulse_execution_completed" || msg.type === "pulse_execution_failed") {
    const i = s.executions.findIndex((e) => e.id === msg.execution_id);
    if (i < 0) return { state: s, refetch: [] };
    const old = s.executions[i] as PulseExecution;
    const updated: PulseExecution =
      msg.type === "pulse_execution_completed"
        ? { ...old, status: "completed", duration_ms: msg.duration_ms, completed_at: old.completed_at ?? nowIso }
        : { ...old, status: "failed", error_message: msg.error, completed_at: old.completed_at ?? nowIso };
    if (updated.duration_ms === undefined && msg.type === "pulse_execution_failed") {
      const ms = Date.parse(nowIso) - Date.parse(old.started_at);
      if (ms >= 0) updated.duration_ms = ms;
    }
    const executions = s.executions.slice();
    executions[i] = updated;
    // A filtered page ("running") keeps the row until the refetch, so nothing jumps under the cursor.
    return { state: { ...s, executions }, refetch: [msg.execution_id] };
  }
  if (msg.type === "pulse_execution_cancelling") {
    const i = s.executions.findIndex((e) => e.id === msg.execution_id);
    const old = s.executions[i];
    if (!old || old.status !== "running" || old.cancel_requested_at) return { state: s, refetch: [] };
    const executions = s.executions.slice();
    executions[i] = { ...old, cancel_requested_at: msg.requested_at };
    return { state: { ...s, executions }, refetch: [] };
  }
  return { state: s, refetch: [] };
}

/** Apply a message to the jobs list. `refetch` names jobs to fetch again. */
export function applyToJobs(jobs: Job[], msg: ServerMessage): Applied<Job[]> {
  switch (msg.type) {
    case "pulse_execution_started":
    case "pulse_execution_completed":
    case "pulse_execution_failed": {
      const i = jobs.findIndex((j) => j.id === msg.job_id);
      if (i < 0) return { state: jobs, refetch: [msg.job_id] };
      const job = jobs[i] as Job;
      let next: Job;
      if (msg.type === "pulse_execution_started") {
        next = { ...job, last_status: "running", last_execution_id: msg.execution_id };
        delete next.last_duration_ms;
      } else if (msg.type === "pulse_execution_completed") {
        next = { ...job, last_status: "completed", last_execution_id: msg.execution_id, last_duration_ms: msg.duration_ms };
      } else {
        next = { ...job, last_status: "failed", last_execution_id: msg.execution_id };
      }
      const out = jobs.slice();
      out[i] = next;
      return { state: out, refetch: [msg.job_id] };
    }
    case "pulse_job_changed":
      if (msg.change === "deleted") return { state: jobs.filter((j) => j.id !== msg.job_id), refetch: [] };
      return { state: jobs, refetch: [msg.job_id] };
    default:
      return { state: jobs, refetch: [] };
  }
}

/** Put a freshly fetched job into the list (new ones by name order), replacing the old copy. */
export function upsertJob(jobs: Job[], job: Job): Job[] {
  const i = jobs.findIndex((j) => j.id === job.id);
  if (i >= 0) {
    const out = jobs.slice();
    out[i] = job;
    return out;
  }
  return sortJobs([...jobs, job]);
}

export function sortJobs(jobs: Job[]): Job[] {
  return jobs.slice().sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** Put a freshly fetched execution into the page, if it is there. */
export function upsertExecution(s: ExecutionListState, e: PulseExecution): ExecutionListState {
  const i = s.executions.findIndex((x) => x.id === e.id);
  if (i < 0) return s;
  const executions = s.executions.slice();
  executions[i] = e;
  return { ...s, executions };
}
