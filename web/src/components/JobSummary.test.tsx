import { render, screen } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import type { Job } from "../api/jobs";
import { JobSummary } from "./JobSummary";

const now = new Date().toISOString();

function job(over: Partial<Job> = {}): Job {
  return {
    id: "SPJ_1",
    name: "backup",
    description: "",
    timezone: "UTC",
    interval_seconds: 60,
    schedule_description: "every minute",
    env: {},
    state: "active",
    overlap: "forbid",
    skipped_count: 0,
    max_attempts: 1,
    retry_backoff_seconds: 10,
    created_at: now,
    updated_at: now,
    ...over,
  };
}

describe("JobSummary", () => {
  it("says how many slots a job missed, and the last gap", () => {
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    render(
      <JobSummary
        job={job({ missed: { total: 40, last: { count: 36, first: hourAgo, last: now } } })}
      />,
    );
    const fact = screen.getByText("Missed").nextElementSibling;
    expect(fact?.textContent).toMatch(/^40 slots, last 36 between .+ and .+/);
  });

  it("says nothing of missed slots when none were missed", () => {
    render(<JobSummary job={job()} />);
    expect(screen.queryByText("Missed")).toBeNull();
  });

  it("names the user a command runs as", () => {
    render(<JobSummary job={job({ command: "pg_dump shop", run_as: "backup" })} />);
    expect(screen.getByText("Runs as").nextElementSibling?.textContent).toBe("backup");
  });
});
