import { fireEvent, render, screen } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import type { PulseExecution } from "../api/executions";
import { RunsTable } from "./RunsTable";

function run(id: string, status: PulseExecution["status"], over: Partial<PulseExecution> = {}): PulseExecution {
  return {
    id,
    scheduled_job_id: "SPJ_1",
    status,
    started_at: new Date(Date.now() - 60_000).toISOString(),
    trigger: "manual",
    attempt: 1,
    log_bytes: 0,
    log_truncated: false,
    log_dropped_bytes: 0,
    ...over,
  };
}

describe("RunsTable", () => {
  const runs = [
    run("PX_a", "running"),
    run("PX_b", "failed", { error_message: "\x1b[31mboom\x1b[0m" }),
    run("PX_c", "running", { cancel_requested_at: "2025-12-06T12:00:00.000Z" }),
  ];

  it("offers cancel on running runs and re-run on finished ones, named for people", () => {
    const onCancel = vi.fn();
    const onRerun = vi.fn();
    render(<RunsTable executions={runs} jobName={() => "backup"} selected={new Set()} onSelect={() => {}} onCancel={onCancel} onRerun={onRerun} />);
    const [cancel] = screen.getAllByRole("button", { name: /^Cancel the run of backup started 1 minute ago \(\d\d:\d\d:\d\d\)$/ });
    fireEvent.click(cancel as HTMLElement);
    expect(onCancel).toHaveBeenCalledWith(runs[0]);
    fireEvent.click(screen.getByRole("button", { name: /^Re-run the run of backup/ }));
    expect(onRerun).toHaveBeenCalledWith(runs[1]);
    // One already being cancelled cannot be cancelled again.
    expect((screen.getByText("Cancelling…", { selector: "button" }) as HTMLButtonElement).disabled).toBe(true);
    // The error's colour codes are stripped.
    expect(screen.getByText("boom")).toBeTruthy();
  });

  it("selects one run or every run shown", () => {
    const onSelect = vi.fn();
    render(<RunsTable executions={runs} jobName={() => "backup"} selected={new Set(["PX_a"])} onSelect={onSelect} onCancel={() => {}} onRerun={() => {}} />);
    const all = screen.getByRole("checkbox", { name: "Select every run shown" }) as HTMLInputElement;
    expect(all.indeterminate).toBe(true);
    fireEvent.click(all);
    expect(onSelect).toHaveBeenCalledWith(["PX_a", "PX_b", "PX_c"], true);
    expect(screen.getAllByRole("columnheader").map((h) => h.textContent)).toEqual([
      "", "Status", "Job", "Started", "Duration", "Trigger", "Node", "Result", "Actions",
    ]);
  });
});
