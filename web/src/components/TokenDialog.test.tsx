import { fireEvent, render, screen } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { TokenDialog } from "./TokenDialog";

describe("TokenDialog", () => {
  it("says when the saved token was refused", () => {
    render(<TokenDialog refused onSave={() => {}} onClose={() => {}} />);
    expect(screen.getByText("API token refused")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toContain("The token was refused");
  });

  it("asks plainly when there is no token, and saves what is typed", () => {
    const onSave = vi.fn();
    render(<TokenDialog onSave={onSave} onClose={() => {}} />);
    expect(screen.getByText("API token needed")).toBeTruthy();
    expect(screen.queryByText(/refused/)).toBeNull();
    fireEvent.input(screen.getByLabelText("API token"), { target: { value: " secret " } });
    fireEvent.click(screen.getByText("Save token"));
    expect(onSave).toHaveBeenCalledWith("secret");
  });
});
