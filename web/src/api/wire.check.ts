import type { WireExecutionDetail, WireJob, WireJobCreate, WireJobList, WireJobPatch, WireListExecutionsResponse, WireLogChunkPage, WireTriggerResponse } from "./wire";
type NotNever<T> = [T] extends [never] ? false : true;
export const checks: [
  NotNever<WireJob>, NotNever<WireJobCreate>, NotNever<WireJobList>, NotNever<WireJobPatch>,
  NotNever<WireTriggerResponse>, NotNever<WireListExecutionsResponse>, NotNever<WireExecutionDetail>, NotNever<WireLogChunkPage>,
] = [true, true, true, true, true, true, true, true];
