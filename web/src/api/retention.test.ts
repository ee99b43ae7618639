import { describe, expect, it } from "vitest";
import { jobRetention } from "./retention";

describe("jobRetention", () => {
  it("is undefined for a job that follows the global policy", () => {
    expect(jobRetention({})).toBeUndefined();
  });

  it("picks the rules it knows out of the job's open object, keeping nulls", () => {
    expect(jobRetention({ retention: { keep_days: { failed: 180, completed: null }, keep_max: null, keep_min: 3 } })).toEqual({
      keep_days: { failed: 180, completed: null },
      keep_max: null,
      keep_min: 3,
    });
  });

  it("drops what is not a rule of the right type", () => {
    expect(jobRetention({ retention: { keep_days: { failed: "a lot" }, keep_max: "10", keep_hours: 2 } })).toEqual({ keep_days: {} });
  });
});
