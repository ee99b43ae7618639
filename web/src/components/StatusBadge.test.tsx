import { render, screen } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { StatusBadge, statusStyle } from "./StatusBadge";

describe("statusStyle", () => {
  it("colours the seed's statuses purple, green and red", () => {
    expect(statusStyle("running").tone).toBe("purple");
    expect(statusStyle("completed").tone).toBe("green");
    expect(statusStyle("failed").tone).toBe("red");
    expect(statusStyle(undefined).tone).toBe("grey");
  });
});

describe("StatusBadge", () => {
  it("says the status in words, so colour is not the only cue", () => {
    render(<StatusBadge status="failed" />);
    const badge = screen.getByText("Failed");
    expect(badge.className).toContain("badge--red");
    expect(badge.querySelector("svg")).not.toBeNull();
  });

  it("tells a cancelled run from a failure, and says when one is being cancelled", () => {
    render(<StatusBadge status="failed" cancelledAt="2025-12-06T12:00:00.000Z" />);
    expect(screen.getByText("Cancelled").className).toContain("badge--grey");
    render(<StatusBadge status="running" cancelRequestedAt="2025-12-06T12:00:00.000Z" />);
    expect(screen.getByText("Cancelling…").getAttribute("data-status")).toBe("running");
  });
});
