import { describe, expect, it } from "vitest";
import { executionDurationMs, formatBytes, formatDuration, formatRelative } from "./format";

describe("formatDuration", () => {
  it.each([
    [0, "0 ms"],
    [850, "850 ms"],
    [1000, "1.0 s"],
    [12_340, "12 s"],
    [9_999, "9.9 s"],
    [65_000, "1 min 05 s"],
    [3_599_000, "59 min 59 s"],
    [3_600_000 + 3 * 60_000, "1 h 03 min"],
    [26 * 3_600_000, "1 d 2 h"],
    [-5, "0 ms"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("formatRelative", () => {
  const now = Date.parse("2025-12-06T12:00:00.000Z");
  it.each([
    ["2025-12-06T12:00:00.000Z", "just now"],
    ["2025-12-06T11:59:58.000Z", "just now"],
    ["2025-12-06T11:59:30.000Z", "30 seconds ago"],
    ["2025-12-06T11:59:00.000Z", "1 minute ago"],
    ["2025-12-06T11:57:00.000Z", "3 minutes ago"],
    ["2025-12-06T10:00:00.000Z", "2 hours ago"],
    ["2025-12-05T12:00:00.000Z", "1 day ago"],
    ["2025-12-06T12:05:00.000Z", "in 5 minutes"],
    ["2025-12-06T12:00:20.000Z", "in 20 seconds"],
    ["2025-11-06T12:00:00.000Z", "1 month ago"],
    ["2023-12-06T12:00:00.000Z", "2 years ago"],
    ["not a time", "—"],
  ])("describes %s as %s", (iso, text) => {
    expect(formatRelative(iso, now)).toBe(text);
  });
});

describe("executionDurationMs", () => {
  const now = Date.parse("2025-12-06T12:00:10.000Z");
  it("uses the recorded duration when there is one", () => {
    expect(executionDurationMs({ started_at: "2025-12-06T12:00:00.000Z", duration_ms: 1234 }, now)).toBe(1234);
  });
  it("ticks from the start while running", () => {
    expect(executionDurationMs({ started_at: "2025-12-06T12:00:00.000Z" }, now)).toBe(10_000);
  });
  it("never goes negative when the browser's clock is behind", () => {
    expect(executionDurationMs({ started_at: "2025-12-06T12:00:20.000Z" }, now)).toBe(0);
  });
});

describe("formatBytes", () => {
  it("uses binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(4300)).toBe("4.2 KiB");
    expect(formatBytes(10 * 1024 * 1024)).toBe("10.0 MiB");
  });
});

describe("times of day", () => {
  it("gives local and UTC clocks, and a sentence for names", async () => {
    const { formatClock, formatTimeOfDay, formatWhen } = await import("./format");
    const iso = "2025-12-06T12:03:01.042Z";
    expect(formatClock(iso, true)).toBe("12:03:01.042");
    const d = new Date(iso);
    const local = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
    expect(formatTimeOfDay(iso)).toBe(local);
    expect(formatWhen(iso, Date.parse(iso) + 3 * 60_000)).toBe(`3 minutes ago (${local})`);
  });
});
