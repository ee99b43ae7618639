/**
 * Wire types: what the server sends and accepts, picked out of the generated OpenAPI types by
 * path and method (so they do not depend on what the server calls its schemas). Never edit these
 * by hand: change the server, then `npm run gen:api`.
 */
import type { paths } from "./schema.gen";

type Query<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type Json<R> = R extends { content: { "application/json": infer B } } ? B : never;
type Ok<Op, Code extends number> = Op extends { responses: Record<Code, infer R> } ? Json<R> : never;
type Body<Op> = Op extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

type Jobs = paths["/api/pulse/jobs"];
type OneJob = paths["/api/pulse/jobs/{job_id}"];
type Trigger = paths["/api/pulse/jobs/{job_id}/trigger"];
type Executions = paths["/api/pulse/jobs/{job_id}/executions"];
type OneExecution = paths["/api/pulse/executions/{execution_id}"];
type LogChunks = paths["/api/pulse/executions/{execution_id}/log-chunks"];
type Cancel = paths["/api/pulse/executions/{execution_id}/cancel"];
type Rerun = paths["/api/pulse/executions/{execution_id}/rerun"];
type JobStatsPath = paths["/api/pulse/jobs/{job_id}/stats"];
type StatsPath = paths["/api/pulse/stats"];
type JobsStatsPath = paths["/api/pulse/stats/jobs"];
type RetentionPath = paths["/api/pulse/settings/retention"];
type PrunePath = paths["/api/pulse/maintenance/prune"];
type PrunesPath = paths["/api/pulse/maintenance/prunes"];
type RunsPath = paths["/api/pulse/executions"];
type ExportPath = paths["/api/pulse/executions/export"];

export type WireJobList = Ok<Jobs["get"], 200>;
export type WireJob = Ok<OneJob["get"], 200>;
export type WireJobCreate = Body<Jobs["post"]>;
export type WireJobPatch = Body<OneJob["patch"]>;
export type WireTriggerResponse = Ok<Trigger["post"], 202>;
export type WireListExecutionsResponse = Ok<Executions["get"], 200>;
export type WireExecution = WireListExecutionsResponse["executions"][number];
export type WireExecutionDetail = Ok<OneExecution["get"], 200>;
export type WireLogChunkPage = Ok<LogChunks["get"], 200>;
export type WireCancelled = Ok<Cancel["post"], 202>;
export type WireRerunResponse = Ok<Rerun["post"], 202>;
export type WireRunLink = WireExecutionDetail["reruns"][number];
export type WireLogChunk = WireLogChunkPage["chunks"][number];
export type WireJobStats = Ok<JobStatsPath["get"], 200>;
export type WireOverallStats = Ok<StatsPath["get"], 200>;
export type WireJobsStats = Ok<JobsStatsPath["get"], 200>;
export type WireRetentionPolicy = Ok<RetentionPath["get"], 200>;
export type WireRetentionRules = Body<RetentionPath["put"]>;
export type WirePruneRequest = Body<PrunePath["post"]>;
export type WirePrune = Ok<PrunePath["post"], 200>;
export type WirePrunes = Ok<PrunesPath["get"], 200>;
export type WireRunsPage = Ok<RunsPath["get"], 200>;
export type WireRunsQuery = Query<RunsPath["get"]>;
export type WireExportQuery = Query<ExportPath["get"]>;

/** `{a: string | null}` becomes `{a?: string}`: the seed's types use optional fields, the wire nulls. */
export type NullToOptional<T> = {
  [K in keyof T as null extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as null extends T[K] ? K : never]?: Exclude<T[K], null>;
};

/** Drop the null fields of a wire object, giving the seed's optional-field shape. */
export function dropNulls<T extends object>(wire: T): NullToOptional<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(wire)) if (v !== null) out[k] = v;
  return out as NullToOptional<T>;
}
