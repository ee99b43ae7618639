/** Runs: every execution of every job, searched and paged newest first, and exported. */
import { type PulseExecution, toPulseExecution } from "./executions";
import { apiUrl, requestJson } from "./http";
import type { WireExportQuery, WireRunsPage, WireRunsQuery } from "./wire";

/** The filters both the search and the export take (the search's paging aside), nulls left out. */
export type RunsQuery = { [K in Exclude<keyof WireRunsQuery, "limit" | "cursor">]?: NonNullable<WireRunsQuery[K]> };
export type ExportFormat = NonNullable<WireExportQuery["format"]>;

export interface RunsResult {
  executions: PulseExecution[];
  nextCursor: string | null;
}

/** One page of runs matching `query`, after `cursor` when given. */
export async function searchRuns(query: RunsQuery, limit = 50, cursor?: string | null): Promise<RunsResult> {
  const params: WireRunsQuery = { ...query, limit, cursor: cursor ?? null };
  const wire = await requestJson<WireRunsPage>("/executions", { query: params });
  return { executions: wire.executions.map(toPulseExecution), nextCursor: wire.next_cursor };
}

/** The URL that downloads every run matching `query`, in `format`. */
export function exportRunsUrl(query: RunsQuery, format: ExportFormat): string {
  const params: WireExportQuery = { format, ...query };
  return apiUrl("/executions/export", params);
}
