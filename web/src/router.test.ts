import { describe, expect, it } from "vitest";
import { matchRoute } from "./router";

describe("matchRoute", () => {
  it("routes the deep links the server serves", () => {
    expect(matchRoute("/")).toEqual({ name: "jobs" });
    expect(matchRoute("/jobs/SPJ_1")).toEqual({ name: "job", jobId: "SPJ_1" });
    expect(matchRoute("/jobs/SPJ_1/")).toEqual({ name: "job", jobId: "SPJ_1" });
    expect(matchRoute("/executions/PX_a_1")).toEqual({ name: "execution", executionId: "PX_a_1" });
    expect(matchRoute("/nope")).toEqual({ name: "not-found" });
  });

  it("routes the overview and the settings", () => {
    expect(matchRoute("/overview")).toEqual({ name: "overview" });
    expect(matchRoute("/settings/")).toEqual({ name: "settings" });
  });
});
