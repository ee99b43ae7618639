/**
 * The seed's TypeScript types, copied from the seed as they are written there, must be
 * satisfied by the types derived from the server's schema (checked by `tsc`, run by `npm run
 * typecheck`; the test below only makes Vitest count the file).
 */
import { describe, expect, it } from "vitest";
import type { ExecutionStatus, ListExecutionsResponse, PulseExecution } from "./executions";
import { getExecutionLogs, listExecutions } from "./executions";

type SeedExecutionStatus = "running" | "completed" | "failed";

interface SeedPulseExecution {
  id: string;
  scheduled_job_id: string;
  async_job_id?: string;
  status: SeedExecutionStatus;
  started_at: string;
  completed_at?: string;
  duration_ms?: number;
  result_summary?: string;
  error_message?: string;
}

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Same status names, both ways.
const statusMatches: Equal<ExecutionStatus, SeedExecutionStatus> = true;
// Every PulseExecution is a seed PulseExecution (ours has more fields, never fewer or other types).
const asSeed = (e: PulseExecution): SeedPulseExecution => e;
// And the seed's optional fields stay optional in ours.
type SeedOptional = "async_job_id" | "completed_at" | "duration_ms" | "result_summary" | "error_message";
const optionalMatches: Equal<Pick<PulseExecution, SeedOptional>, Pick<SeedPulseExecution, SeedOptional>> = true;
// The response has the seed's shape.
const responseShape = (r: ListExecutionsResponse): { executions: SeedPulseExecution[]; count: number; total: number; has_more: boolean } => r;
// The seed's signatures.
const seedList: (jobId: string, limit?: number, offset?: number, status?: ExecutionStatus) => Promise<ListExecutionsResponse> =
  listExecutions;
const seedLogs: (executionId: string) => Promise<string> = getExecutionLogs;

describe("the seed's types", () => {
  it("are what the server's schema gives", () => {
    expect([statusMatches, optionalMatches]).toEqual([true, true]);
    expect([asSeed, responseShape, seedList, seedLogs].every((f) => typeof f === "function")).toBe(true);
  });
});
