import { describe, expect, it } from "vitest";
import type { Job } from "../api/jobs";
import type { StatsPoint } from "../api/stats";
import {
  axisLabel,
  busyPoints,
  durationColumns,
  durationSummary,
  formatSuccessRate,
  nextRuns,
  outcomesText,
  periodLabel,
  rateTone,
  runsColumns,
  runsSummary,
  windowName,
} from "./stats";

const day = (d: number, completed: number, failed: number, p95: number | null = null): StatsPoint => ({
  start: `2025-12-0${d}T00:00:00Z`,
  completed,
  failed,
  p95_ms: p95,
});

describe("formatSuccessRate", () => {
  it.each([
    [1, "100%"],
    [0, "0%"],
    [0.5, "50%"],
    [0.985, "98.5%"],
    [0.12345, "12.3%"],
    [0.99999, "99.9%"],
    [0.000001, "0.1%"],
    [null, "—"],
    [undefined, "—"],
    [Number.NaN, "—"],
  ])("formats %s as %s", (rate, text) => {
    expect(formatSuccessRate(rate)).toBe(text);
  });

  it("never rounds a rate below 1 up to 100%", () => {
    expect(formatSuccessRate(19_999 / 20_000)).not.toBe("100%");
  });
});

describe("rateTone", () => {
  it("is green when (almost) nothing fails, amber for some failures, red for many", () => {
    expect(rateTone(1)).toBe("green");
    expect(rateTone(0.95)).toBe("amber");
    expect(rateTone(0.5)).toBe("red");
    expect(rateTone(null)).toBe("grey");
  });
});

describe("outcomesText", () => {
  it("counts the outcomes of a strip", () => {
    const recent = [...Array(18).fill("completed"), "failed", "failed"];
    expect(outcomesText(recent)).toBe("last 20 runs: 18 completed, 2 failed");
  });

  it("leaves out a status with no runs, and says one run in the singular", () => {
    expect(outcomesText(["failed", "failed", "failed"])).toBe("last 3 runs: 3 failed");
    expect(outcomesText(["completed"])).toBe("last run: completed");
    expect(outcomesText([])).toBe("no finished runs yet");
  });
});

describe("periodLabel", () => {
  it("names UTC days in UTC", () => {
    expect(periodLabel("2025-12-06T00:00:00Z", "day")).toBe("6 Dec 2025");
  });

  it("labels the time axis: days in UTC, hours on the local clock", () => {
    expect(axisLabel(Date.parse("2025-12-06T00:00:00Z") / 1000, "day")).toBe("6 Dec");
    const noon = new Date(2025, 11, 6, 12, 0, 0);
    expect(axisLabel(noon.getTime() / 1000, "hour")).toBe("12:00");
    expect(axisLabel(new Date(2025, 11, 6, 0, 0, 0).getTime() / 1000, "hour")).toBe("6 Dec");
  });

  it("names hours in local time", () => {
    const iso = "2025-12-06T14:00:00Z";
    const d = new Date(iso);
    expect(periodLabel(iso, "hour")).toBe(`${d.getDate()} Dec, ${String(d.getHours()).padStart(2, "0")}:00`);
  });
});

describe("the chart columns", () => {
  const series = [day(1, 3, 1, 120), day(2, 0, 0), day(3, 5, 0, 80)];

  it("stack failed runs on top of completed ones", () => {
    const [xs, tops, completed] = runsColumns(series);
    expect(xs).toEqual([Date.parse("2025-12-01T00:00:00Z") / 1000, Date.parse("2025-12-02T00:00:00Z") / 1000, Date.parse("2025-12-03T00:00:00Z") / 1000]);
    expect(tops).toEqual([4, 0, 5]);
    expect(completed).toEqual([3, 0, 5]);
  });

  it("leave gaps in the duration line where nothing ran, and draw the window's p95 flat", () => {
    const [, p95, overall] = durationColumns(series, 110);
    expect(p95).toEqual([120, null, 80]);
    expect(overall).toEqual([110, 110, 110]);
  });

  it("give the table only the periods that had runs", () => {
    expect(busyPoints(series).map((p) => p.start)).toEqual([series[0]?.start, series[2]?.start]);
  });
});

describe("the charts' sentences", () => {
  const stats = {
    days: 7,
    period: "day" as const,
    completed: 8,
    failed: 1,
    duration_ms: { p50: 90, p95: 1500, p99: 1500, max: 1600 },
    series: [day(1, 3, 1, 1500), day(2, 0, 0), day(3, 5, 0, 800)],
  };

  it("sum up the runs and name the busiest period", () => {
    expect(runsSummary(stats)).toBe("Runs per day over the last 7 days: 8 completed and 1 failed; the busiest day was 3 Dec 2025 with 5 runs.");
  });

  it("say when nothing finished", () => {
    expect(runsSummary({ ...stats, completed: 0, failed: 0, series: [day(1, 0, 0)] })).toBe(
      "Runs per day over the last 7 days: none finished.",
    );
    expect(durationSummary({ ...stats, series: [day(1, 0, 0)] })).toMatch(/no finished runs/);
  });

  it("give the range of the duration and the window's p95", () => {
    expect(durationSummary(stats)).toBe(
      "95th percentile duration per day over the last 7 days: from 800 ms to 1.5 s; 1.5 s over the whole window.",
    );
  });

  it("call a one-day window 24 hours", () => {
    expect(windowName(1)).toBe("24 hours");
    expect(windowName(30)).toBe("30 days");
  });
});

describe("nextRuns", () => {
  const job = (id: string, next: string | undefined, state: "active" | "paused" = "active") =>
    ({ id, name: id, state, next_run_at: next }) as Job;

  it("lists active jobs soonest first", () => {
    const jobs = [
      job("late", "2025-12-06T12:00:00Z"),
      job("paused", "2025-12-06T09:00:00Z", "paused"),
      job("soon", "2025-12-06T10:00:00Z"),
      job("never", undefined),
    ];
    expect(nextRuns(jobs, 5).map((j) => j.id)).toEqual(["soon", "late"]);
    expect(nextRuns(jobs, 1).map((j) => j.id)).toEqual(["soon"]);
  });
});
