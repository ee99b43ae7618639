import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { InvalidInputError } from "../api/errors";
import type { Job, JobCreate } from "../api/jobs";
import { JobForm } from "./JobForm";

describe("JobForm", () => {
  it("shows the server's message beside the field it names", async () => {
    const onSubmit = vi.fn(
      (_body: JobCreate): Promise<Job> =>
        Promise.reject(
          new InvalidInputError("timezone: unknown", [{ field: "timezone", message: "unknown time zone 'Mars/Base'" }]),
        ),
    );
    render(<JobForm onSubmit={onSubmit} onClose={() => {}} onSaved={() => {}} />);
    fireEvent.input(screen.getByLabelText("Name"), { target: { value: "backup" } });
    fireEvent.click(screen.getByLabelText("Cron"));
    fireEvent.input(screen.getByLabelText("Cron expression"), { target: { value: "0 2 * * *" } });
    fireEvent.input(screen.getByLabelText("Time zone"), { target: { value: "Mars/Base" } });
    fireEvent.input(screen.getByLabelText("Command"), { target: { value: "echo hi" } });
    fireEvent.click(screen.getByText("Create job"));

    await waitFor(() => expect(screen.getByText("unknown time zone 'Mars/Base'")).toBeTruthy());
    const input = screen.getByLabelText("Time zone");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")).toContain("job-timezone-error");
    expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ name: "backup", cron: "0 2 * * *", timezone: "Mars/Base" }));

    // Fixing the field takes its error away at once.
    fireEvent.input(input, { target: { value: "Europe/Berlin" } });
    expect(screen.queryByText("unknown time zone 'Mars/Base'")).toBeNull();
    expect(input.getAttribute("aria-invalid")).toBe("false");
  });

  it("says what is wrong with a cron expression as it is typed, and sends none that is invalid", () => {
    const onSubmit = vi.fn();
    render(<JobForm onSubmit={onSubmit} onClose={() => {}} onSaved={() => {}} />);
    fireEvent.input(screen.getByLabelText("Name"), { target: { value: "backup" } });
    fireEvent.click(screen.getByLabelText("Cron"));
    fireEvent.input(screen.getByLabelText("Command"), { target: { value: "echo hi" } });
    fireEvent.input(screen.getByLabelText("Cron expression"), { target: { value: "99 2 * * *" } });
    expect(screen.getByText(/bad minute '99': 99 is not in 0-59/)).toBeTruthy();
    expect(screen.queryByText(/^Runs/)).toBeNull();
    expect(screen.getByLabelText("Cron expression").getAttribute("aria-invalid")).toBe("true");
    fireEvent.click(screen.getByText("Create job"));
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.input(screen.getByLabelText("Cron expression"), { target: { value: "0 2 * * *" } });
    expect(screen.queryByText(/is not a valid cron expression/)).toBeNull();
  });

  it("catches a missing name before asking the server", () => {
    const onSubmit = vi.fn();
    render(<JobForm onSubmit={onSubmit} onClose={() => {}} onSaved={() => {}} />);
    fireEvent.click(screen.getByText("Create job"));
    expect(screen.getByText("give the job a name")).toBeTruthy();
    expect(onSubmit).not.toHaveBeenCalled();
  });
});
