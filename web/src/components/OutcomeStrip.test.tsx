import { render, screen } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { OutcomeStrip } from "./OutcomeStrip";

describe("OutcomeStrip", () => {
  it("shows one cell per outcome, newest at the end, padded to 20", () => {
    const { container } = render(<OutcomeStrip recent={["failed", "completed", "completed"]} />);
    const cells = [...container.querySelectorAll(".strip-cell")].map((c) => c.className);
    expect(cells).toHaveLength(20);
    expect(cells.slice(-3)).toEqual(["strip-cell strip-cell--failed", "strip-cell strip-cell--completed", "strip-cell strip-cell--completed"]);
    expect(cells[0]).toBe("strip-cell");
  });

  it("is one image with a sentence for screen readers", () => {
    render(<OutcomeStrip recent={["completed", "failed", "completed"]} />);
    expect(screen.getByRole("img").getAttribute("aria-label")).toBe("last 3 runs: 2 completed, 1 failed");
  });
});
