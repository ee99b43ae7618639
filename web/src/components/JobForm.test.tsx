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
          new InvalidInputError("cron: bad minute", [{ field: "cron", message: "'99 * * * *' is not a valid cron expression" }]),
        ),
    );
    render(<JobForm onSubmit={onSubmit} onClose={() => {}} onSaved={() => {}} />);
    fireEvent.input(screen.getByLabelText("Name"), { target: { value: "backup" } });
    fireEvent.click(screen.getByLabelText("Cron"));
    fireEvent.input(screen.getByLabelText("Cron expression"), { target: { value: "99 * * * *" } });
    fireEvent.input(screen.getByLabelText("Command"), { target: { value: "echo hi" } });
    fireEvent.click(screen.getByText("Create job"));

    await waitFor(() => expect(screen.getByText("'99 * * * *' is not a valid cron expression")).toBeTruthy());
    const input = screen.getByLabelText("Cron expression");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")).toContain("job-cron-error");
    expect(onSubmit).toHaveBeenCalledWith(expect.objectContaining({ name: "backup", cron: "99 * * * *", command: "echo hi" }));
  });

  it("catches a missing name before asking the server", () => {
    const onSubmit = vi.fn();
    render(<JobForm onSubmit={onSubmit} onClose={() => {}} onSaved={() => {}} />);
    fireEvent.click(screen.getByText("Create job"));
    expect(screen.getByText("give the job a name")).toBeTruthy();
    expect(onSubmit).not.toHaveBeenCalled();
  });
});
