import { act, render } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Duration } from "./Duration";

describe("Duration", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2025-12-06T12:00:05.000Z"));
  });
  afterEach(() => vi.useRealTimers());

  it("ticks every second while the execution runs", () => {
    const { container } = render(<Duration execution={{ status: "running", started_at: "2025-12-06T12:00:00.000Z" }} />);
    expect(container.textContent).toBe("5.0 s");
    act(() => {
      vi.advanceTimersByTime(2000);
    });
    expect(container.textContent).toBe("7.0 s");
  });

  it("shows the recorded duration once it has ended", () => {
    const { container } = render(
      <Duration
        execution={{ status: "completed", started_at: "2025-12-06T11:00:00.000Z", completed_at: "2025-12-06T11:01:05.000Z", duration_ms: 65_000 }}
      />,
    );
    expect(container.textContent).toBe("1 min 05 s");
  });
});
