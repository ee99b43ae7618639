import { describe, expect, it } from "vitest";
import type { PulseExecution } from "../api/executions";
import type { Job } from "../api/jobs";
import { applyToExecutions, applyToJobs, type ExecutionListState, upsertJob } from "./reducers";

const now = "2025-12-06T12:00:10.000Z";

function execution(id: string, status: PulseExecution["status"] = "completed"): PulseExecution {
  return {
    id,
    scheduled_job_id: "SPJ_1",
    status,
    started_at: "2025-12-06T12:00:00.000Z",
    trigger: "schedule",
    attempt: 1,
    log_bytes: 0,
    log_truncated: false,
    log_dropped_bytes: 0,
  };
}

function page(over: Partial<ExecutionListState> = {}): ExecutionListState {
  return {
    jobId: "SPJ_1",
    executions: [execution("PX_b"), execution("PX_a")],
    total: 2,
    offset: 0,
    limit: 50,
    status: undefined,
    ...over,
  };
}

function job(id: string, name: string): Job {
  return {
    id,
    name,
    description: "",
    timezone: "UTC",
    interval_seconds: 60,
    schedule_description: "every minute",
    env: {},
    state: "active",
    overlap: "forbid",
    skipped_count: 0,
    max_attempts: 1,
    retry_backoff_seconds: 10,
    created_at: now,
    updated_at: now,
  };
}

describe("applyToExecutions", () => {
  it("puts a started execution on top of the first page, running", () => {
    const { state, refetch } = applyToExecutions(
      page(),
      { type: "pulse_execution_started", execution_id: "PX_c", job_id: "SPJ_1" },
      now,
    );
    expect(state.executions.map((e) => e.id)).toEqual(["PX_c", "PX_b", "PX_a"]);
    expect(state.executions[0]?.status).toBe("running");
    expect(state.total).toBe(3);
    expect(refetch).toEqual(["PX_c"]);
  });

  it("ignores other jobs' executions", () => {
    const s = page();
    const { state } = applyToExecutions(s, { type: "pulse_execution_started", execution_id: "PX_c", job_id: "SPJ_2" }, now);
    expect(state).toBe(s);
  });

  it("does not show a running execution on a page filtered to failures", () => {
    const s = page({ status: "failed" });
    const { state } = applyToExecutions(s, { type: "pulse_execution_started", execution_id: "PX_c", job_id: "SPJ_1" }, now);
    expect(state.executions).toHaveLength(2);
    expect(state.total).toBe(2);
  });

  it("only counts a new execution on later pages", () => {
    const { state } = applyToExecutions(
      page({ offset: 50, total: 60 }),
      { type: "pulse_execution_started", execution_id: "PX_c", job_id: "SPJ_1" },
      now,
    );
    expect(state.executions).toHaveLength(2);
    expect(state.total).toBe(61);
  });

  it("keeps the page at its size", () => {
    const { state } = applyToExecutions(
      page({ limit: 2 }),
      { type: "pulse_execution_started", execution_id: "PX_c", job_id: "SPJ_1" },
      now,
    );
    expect(state.executions.map((e) => e.id)).toEqual(["PX_c", "PX_b"]);
  });

  it("turns a running execution completed, with its duration", () => {
    const s = page({ executions: [execution("PX_a", "running")] });
    const { state, refetch } = applyToExecutions(
      s,
      { type: "pulse_execution_completed", execution_id: "PX_a", job_id: "SPJ_1", duration_ms: 1234 },
      now,
    );
    expect(state.executions[0]).toMatchObject({ status: "completed", duration_ms: 1234 });
    expect(refetch).toEqual(["PX_a"]);
  });

  it("turns a running execution failed, with the error", () => {
    const s = page({ executions: [execution("PX_a", "running")] });
    const { state } = applyToExecutions(
      s,
      { type: "pulse_execution_failed", execution_id: "PX_a", job_id: "SPJ_1", error: "exit code 3" },
      now,
    );
    expect(state.executions[0]).toMatchObject({ status: "failed", error_message: "exit code 3", duration_ms: 10_000 });
  });

  it("ignores the end of an execution it does not show", () => {
    const s = page();
    const { state, refetch } = applyToExecutions(
      s,
      { type: "pulse_execution_failed", execution_id: "PX_zzz", job_id: "SPJ_1", error: "x" },
      now,
    );
    expect(state).toBe(s);
    expect(refetch).toEqual([]);
  });

  it("shows a running execution as being cancelled", () => {
    const s = page({ executions: [execution("PX_a", "running")] });
    const msg = { type: "pulse_execution_cancelling", execution_id: "PX_a", job_id: "SPJ_1", requested_at: now } as const;
    const { state, refetch } = applyToExecutions(s, msg, now);
    expect(state.executions[0]?.cancel_requested_at).toBe(now);
    expect(refetch).toEqual([]);
    expect(applyToExecutions(page(), msg, now).state.executions[0]?.cancel_requested_at).toBeUndefined();
  });

  it("does not add the same execution twice", () => {
    const s = page({ executions: [execution("PX_c", "running")], total: 1 });
    const { state } = applyToExecutions(s, { type: "pulse_execution_started", execution_id: "PX_c", job_id: "SPJ_1" }, now);
    expect(state.executions).toHaveLength(1);
    expect(state.total).toBe(1);
  });
});

describe("applyToJobs", () => {
  const jobs = [job("SPJ_1", "a"), job("SPJ_2", "b")];

  it("shows a job running as soon as its execution starts", () => {
    const { state, refetch } = applyToJobs(jobs, { type: "pulse_execution_started", execution_id: "PX_1", job_id: "SPJ_2" });
    expect(state[1]).toMatchObject({ last_status: "running", last_execution_id: "PX_1" });
    expect(state[0]).toBe(jobs[0]);
    expect(refetch).toEqual(["SPJ_2"]);
  });

  it("records the last duration when it completes", () => {
    const { state } = applyToJobs(jobs, {
      type: "pulse_execution_completed",
      execution_id: "PX_1",
      job_id: "SPJ_1",
      duration_ms: 500,
    });
    expect(state[0]).toMatchObject({ last_status: "completed", last_duration_ms: 500 });
  });

  it("shows a failure", () => {
    const { state } = applyToJobs(jobs, { type: "pulse_execution_failed", execution_id: "PX_1", job_id: "SPJ_1", error: "x" });
    expect(state[0]?.last_status).toBe("failed");
  });

  it("removes a deleted job", () => {
    const { state } = applyToJobs(jobs, { type: "pulse_job_changed", job_id: "SPJ_1", change: "deleted" });
    expect(state.map((j) => j.id)).toEqual(["SPJ_2"]);
  });

  it("asks to fetch a created or updated job", () => {
    expect(applyToJobs(jobs, { type: "pulse_job_changed", job_id: "SPJ_9", change: "created" }).refetch).toEqual(["SPJ_9"]);
    expect(applyToJobs(jobs, { type: "pulse_job_changed", job_id: "SPJ_1", change: "updated" }).refetch).toEqual(["SPJ_1"]);
  });

  it("inserts a new job in name order", () => {
    expect(upsertJob(jobs, job("SPJ_3", "aa")).map((j) => j.id)).toEqual(["SPJ_1", "SPJ_3", "SPJ_2"]);
  });
});
