/** Executions: the seed's history records, their list, and their logs. */
import { request, requestJson } from "./http";
import {
  dropNulls,
  type NullToOptional,
  type WireExecution,
  type WireExecutionDetail,
  type WireListExecutionsResponse,
  type WireLogChunkPage,
  type WireRerunResponse,
  type WireRunLink,
  type WireCancelled,
} from "./wire";

/** The seed's names, derived from the server's schema. */
export type ExecutionStatus = WireExecution["status"];
export type PulseExecution = NullToOptional<WireExecution>;
export interface ListExecutionsResponse extends Omit<WireListExecutionsResponse, "executions"> {
  executions: PulseExecution[];
}
export type PulseExecutionDetail = NullToOptional<WireExecutionDetail>;
export type ExecutionTrigger = WireExecution["trigger"];
export type LogChunkPage = WireLogChunkPage;

export type RerunResponse = WireRerunResponse;
export type RunLink = NullToOptional<WireRunLink>;

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = ["running", "completed", "failed"];

export function toPulseExecution(wire: WireExecution): PulseExecution {
  return dropNulls(wire);
}

const enc = encodeURIComponent;

/** One page of a job's executions, newest first (the seed's signature). */
export async function listExecutions(
  jobId: string,
  limit = 50,
  offset = 0,
  status?: ExecutionStatus,
): Promise<ListExecutionsResponse> {
  const wire = await requestJson<WireListExecutionsResponse>(`/jobs/${enc(jobId)}/executions`, {
    query: { limit, offset, status },
  });
  return { ...wire, executions: wire.executions.map(toPulseExecution) };
}

/** One execution with its whole log. */
export async function getExecution(executionId: string): Promise<PulseExecutionDetail> {
  return dropNulls(await requestJson<WireExecutionDetail>(`/executions/${enc(executionId)}`));
}

/** The whole log of an execution as plain text (the seed's signature). */
export async function getExecutionLogs(executionId: string, signal?: AbortSignal): Promise<string> {
  const res = await request(
    `/executions/${enc(executionId)}/logs`,
    signal ? { accept: "text/plain", signal } : { accept: "text/plain" },
  );
  return res.text();
}

/** Log chunks stored after `afterSeq`, for catching up without the WebSocket. */
export async function getLogChunks(executionId: string, afterSeq = 0, limit = 500): Promise<LogChunkPage> {
  return requestJson<WireLogChunkPage>(`/executions/${enc(executionId)}/log-chunks`, {
    query: { after_seq: afterSeq, limit },
  });
}

/** The URL of the plain-text log, for the download link. */
export function executionLogsUrl(executionId: string): string {
  return `/api/pulse/executions/${enc(executionId)}/logs`;
}

/** Ask for a running execution to be stopped; it ends `failed` ("cancelled") soon after. 409 if it ended. */
export async function cancelExecution(executionId: string): Promise<PulseExecution> {
  return toPulseExecution(await requestJson<WireCancelled>(`/executions/${enc(executionId)}/cancel`, { method: "POST" }));
}

/** Run a finished execution's job again; the answer names the new execution. 409 while it runs. */
export async function rerunExecution(executionId: string): Promise<RerunResponse> {
  return requestJson<WireRerunResponse>(`/executions/${enc(executionId)}/rerun`, { method: "POST" });
}

/** Whether an execution ended because someone cancelled it. */
export function wasCancelled(e: { status: ExecutionStatus; cancelled_at?: string | undefined }): boolean {
  return e.status === "failed" && e.cancelled_at !== undefined;
}
