import type {
  WireExecutionDetail, WireJob, WireJobCreate, WireJobList, WireJobPatch, WireJobStats, WireJobsStats, WireListExecutionsResponse,
  WireLogChunkPage, WireOverallStats, WirePrune, WirePruneRequest, WirePrunes, WireRetentionPolicy, WireRetentionRules, WireTriggerResponse,
} from "./wire";
type NotNever<T> = [T] extends [never] ? false : true;
export const checks: [
  NotNever<WireJob>, NotNever<WireJobCreate>, NotNever<WireJobList>, NotNever<WireJobPatch>,
  NotNever<WireTriggerResponse>, NotNever<WireListExecutionsResponse>, NotNever<WireExecutionDetail>, NotNever<WireLogChunkPage>,
  NotNever<WireJobStats>, NotNever<WireOverallStats>, NotNever<WireJobsStats>, NotNever<WireRetentionPolicy>,
  NotNever<WireRetentionRules>, NotNever<WirePruneRequest>, NotNever<WirePrune>, NotNever<WirePrunes>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];
