import { render } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { LogViewer } from "./LogViewer";

describe("LogViewer", () => {
  it("renders only the rows in view, not a whole big log", () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `[2025-12-06T02:00:00.000Z] line ${i}`);
    const { container } = render(<LogViewer lines={lines} version={1} label="log" startAtEnd={false} height={400} />);
    const rows = container.querySelectorAll(".log-row");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(100);
    expect(container.querySelector(".log-spacer")?.getAttribute("style")).toContain("2000000px");
  });

  it("tells stderr and the truncation marker apart", () => {
    const lines = [
      "[2025-12-06T02:00:00.000Z] out",
      "[2025-12-06T02:00:00.000Z] [stderr] err",
      "[2025-12-06T02:00:00.000Z] [pulse] … 123 bytes dropped …",
    ];
    const { container } = render(<LogViewer lines={lines} version={1} label="log" startAtEnd={false} />);
    expect(container.querySelector(".log-row--stderr .log-tag")?.textContent).toBe("stderr");
    expect(container.querySelector(".log-row--truncation")?.textContent).toContain("bytes dropped");
    expect(container.querySelector(".log-row--stdout .log-text")?.textContent).toBe("out");
  });
});
