/** Runs: every execution of every job, searched and paged newest first, and exported. */
import { apiUrl, requestJson } from "./http";
import { type PulseExecution, toPulseExecution } from "./executions";
import type { WireExecution } from "./wire";

// Hand-written until GET /executions is in the server's OpenAPI document.
interface WireRunsPage {
  executions: WireExecution[];
  next_cursor: string | null;
}

export interface RunsResult {
  executions: PulseExecution[];
  nextCursor: string | null;
}

export type ExportFormat = "csv" | "ndjson";

/** One page of runs matching `query` (the API's parameters), after `cursor` when given. */
export async function searchRuns(query: Record<string, string>, limit = 50, cursor?: string | null): Promise<RunsResult> {
  const wire = await requestJson<WireRunsPage>("/executions", { query: { ...query, limit, cursor: cursor ?? undefined } });
  return { executions: wire.executions.map(toPulseExecution), nextCursor: wire.next_cursor };
}

/** The URL that downloads every run matching `query`, in `format`. */
export function exportRunsUrl(query: Record<string, string>, format: ExportFormat): string {
  return apiUrl("/executions/export", { format, ...query });
}
