import { render, screen } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import type { StatsTotals } from "../../api/stats";
import { DurationChart } from "./DurationChart";
import { RunsChart } from "./RunsChart";

const stats: StatsTotals = {
  days: 7,
  period: "day",
  total: 9,
  completed: 7,
  failed: 2,
  success_rate: 7 / 9,
  duration_ms: { p50: 40, p95: 900, p99: 900, max: 950 },
  series: [
    { start: "2025-12-01T00:00:00Z", completed: 3, failed: 2, p95_ms: 900 },
    { start: "2025-12-02T00:00:00Z", completed: 0, failed: 0, p95_ms: null },
    { start: "2025-12-03T00:00:00Z", completed: 4, failed: 0, p95_ms: 50 },
  ],
};

describe("RunsChart", () => {
  it("is an image summed up in its label, with the numbers in a table", () => {
    const { container } = render(<RunsChart stats={stats} />);
    expect(screen.getByRole("img").getAttribute("aria-label")).toMatch(/^Runs per day over the last 7 days: 7 completed and 2 failed/);
    const rows = [...container.querySelectorAll("tbody tr")].map((r) => r.textContent);
    expect(rows).toEqual(["1 Dec 202532", "3 Dec 202540"]);
    expect(container.querySelector("tfoot [data-completed]")?.textContent).toBe("7");
    expect(container.querySelector("tfoot [data-failed]")?.textContent).toBe("2");
  });

  it("says so when nothing finished", () => {
    const empty = { ...stats, total: 0, completed: 0, failed: 0, series: stats.series.map((p) => ({ ...p, completed: 0, failed: 0 })) };
    render(<RunsChart stats={empty} />);
    expect(screen.getByText("Nothing finished in this window.")).toBeTruthy();
  });
});

describe("DurationChart", () => {
  it("tables the p95 of each period that had runs and of the whole window", () => {
    const { container } = render(<DurationChart stats={stats} />);
    expect(screen.getByRole("img").getAttribute("aria-label")).toMatch(/from 50 ms to 900 ms; 900 ms over the whole window/);
    const cells = [...container.querySelectorAll("tbody tr")].map((r) => [...r.children].map((c) => c.textContent));
    expect(cells).toEqual([
      ["1 Dec 2025", "5", "900 ms"],
      ["3 Dec 2025", "4", "50 ms"],
    ]);
    expect(container.querySelector("tfoot")?.textContent).toBe("Whole window9900 ms");
  });
});
