/** Jobs: the definitions, and the actions on them. */
import { request, requestJson } from "./http";
import {
  dropNulls,
  type NullToOptional,
  type WireJob,
  type WireJobCreate,
  type WireJobList,
  type WireJobPatch,
  type WireTriggerResponse,
} from "./wire";

export type Job = NullToOptional<WireJob>;
export type JobCreate = WireJobCreate;
export type JobPatch = WireJobPatch;
export type JobState = WireJob["state"];
export type TriggerResponse = WireTriggerResponse;

export function toJob(wire: WireJob): Job {
  return dropNulls(wire);
}

const enc = encodeURIComponent;

export async function listJobs(): Promise<Job[]> {
  const wire = await requestJson<WireJobList>("/jobs");
  return wire.jobs.map(toJob);
}

export async function getJob(jobId: string): Promise<Job> {
  return toJob(await requestJson<WireJob>(`/jobs/${enc(jobId)}`));
}

export async function createJob(body: JobCreate): Promise<Job> {
  return toJob(await requestJson<WireJob>("/jobs", { method: "POST", body }));
}

export async function updateJob(jobId: string, body: JobPatch): Promise<Job> {
  return toJob(await requestJson<WireJob>(`/jobs/${enc(jobId)}`, { method: "PATCH", body }));
}

export async function deleteJob(jobId: string): Promise<void> {
  await request(`/jobs/${enc(jobId)}`, { method: "DELETE" });
}

export async function pauseJob(jobId: string): Promise<Job> {
  return toJob(await requestJson<WireJob>(`/jobs/${enc(jobId)}/pause`, { method: "POST" }));
}

export async function resumeJob(jobId: string): Promise<Job> {
  return toJob(await requestJson<WireJob>(`/jobs/${enc(jobId)}/resume`, { method: "POST" }));
}

/** Run the job now; the answer names the execution that will record the run. */
export async function triggerJob(jobId: string): Promise<TriggerResponse> {
  return requestJson<WireTriggerResponse>(`/jobs/${enc(jobId)}/trigger`, { method: "POST" });
}
