import { describe, expect, it } from "vitest";
import { findMatches, firstMatchFrom, splitOnMatches, stepMatch } from "./logsearch";

describe("findMatches", () => {
  it("finds lines case-insensitively", () => {
    expect(findMatches(["Error: a", "ok", "an ERROR", "fine"], "error")).toEqual([0, 2]);
  });
  it("finds nothing for an empty query", () => {
    expect(findMatches(["a"], "  ")).toEqual([]);
  });
  it("is quick on a 10 MiB log", () => {
    const lines = Array.from({ length: 120_000 }, (_, i) => `[2025-12-06T02:00:00.000Z] line ${i} lorem ipsum dolor sit amet`);
    const t0 = performance.now();
    expect(findMatches(lines, "line 119999")).toEqual([119_999]);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe("stepMatch", () => {
  it("goes forward and back, wrapping around", () => {
    expect(stepMatch(3, -1, 1)).toBe(0);
    expect(stepMatch(3, -1, -1)).toBe(2);
    expect(stepMatch(3, 2, 1)).toBe(0);
    expect(stepMatch(3, 0, -1)).toBe(2);
    expect(stepMatch(0, 0, 1)).toBe(-1);
  });
});

describe("firstMatchFrom", () => {
  it("starts at the first match at or below where the reader is", () => {
    expect(firstMatchFrom([3, 10, 50], 11)).toBe(2);
    expect(firstMatchFrom([3, 10, 50], 10)).toBe(1);
    expect(firstMatchFrom([3, 10, 50], 51)).toBe(0);
    expect(firstMatchFrom([], 5)).toBe(-1);
  });
});

describe("splitOnMatches", () => {
  it("cuts text around each occurrence", () => {
    expect(splitOnMatches("a Foo b foo", "foo")).toEqual([
      { text: "a ", match: false },
      { text: "Foo", match: true },
      { text: " b ", match: false },
      { text: "foo", match: true },
    ]);
  });
});
