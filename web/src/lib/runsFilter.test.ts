import { describe, expect, it } from "vitest";
import { apiQuery, filterFromQuery, isFiltered, matchesFilter, queryFromFilter } from "./runsFilter";

describe("the runs filter in the URL", () => {
  it("reads what it knows and ignores the rest", () => {
    const f = filterFromQuery(
      new URLSearchParams("status=failed&job=SPJ_1&trigger=retry&node=n1&from=2025-12-01&to=2025-12-06&q=conn%20ref&x=1"),
    );
    expect(f).toEqual({ status: "failed", jobId: "SPJ_1", trigger: "retry", node: "n1", from: "2025-12-01", to: "2025-12-06", q: "conn ref" });
    expect(filterFromQuery(new URLSearchParams("status=nope&trigger=&from=yesterday&q=%20%20"))).toEqual({});
  });

  it("writes a stable query string that reads back the same", () => {
    const f = { q: "boom", status: "running" as const, from: "2025-01-02" };
    const qs = queryFromFilter(f);
    expect(qs).toBe("status=running&from=2025-01-02&q=boom");
    expect(filterFromQuery(new URLSearchParams(qs))).toEqual(f);
    expect(queryFromFilter({})).toBe("");
    expect(isFiltered({})).toBe(false);
    expect(isFiltered({ node: "a" })).toBe(true);
  });
});

describe("apiQuery", () => {
  it("names the API's parameters and makes the date range whole local days", () => {
    const q = apiQuery({ status: "failed", jobId: "SPJ_1", from: "2025-12-01", to: "2025-12-06", q: "x" });
    expect(q.status).toBe("failed");
    expect(q.job_id).toBe("SPJ_1");
    expect(q.q).toBe("x");
    expect(q.started_after).toBe(new Date(2025, 11, 1).toISOString());
    expect(q.started_before).toBe(new Date(2025, 11, 7).toISOString());
  });
});

describe("matchesFilter", () => {
  const run = { status: "running" as const, scheduled_job_id: "SPJ_1", trigger: "manual" as const };
  it("lets a new run in when nothing rules it out", () => {
    expect(matchesFilter({}, run)).toBe(true);
    expect(matchesFilter({ status: "running", jobId: "SPJ_1" }, run)).toBe(true);
  });
  it("keeps it out of other statuses, jobs, triggers, past windows and searches", () => {
    expect(matchesFilter({ status: "failed" }, run)).toBe(false);
    expect(matchesFilter({ jobId: "SPJ_2" }, run)).toBe(false);
    expect(matchesFilter({ trigger: "schedule" }, run)).toBe(false);
    expect(matchesFilter({ to: "2000-01-01" }, run)).toBe(false);
    expect(matchesFilter({ q: "boom" }, run)).toBe(false);
  });
});
