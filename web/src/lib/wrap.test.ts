import { describe, expect, it } from "vitest";
import { displayWidth, WrapLayout } from "./wrap";

describe("WrapLayout", () => {
  it("gives each line as many rows as its width needs", () => {
    const layout = new WrapLayout((l) => l.length);
    layout.update(["short", "x".repeat(25), "", "x".repeat(10)], 10);
    expect([0, 1, 2, 3].map((i) => layout.rows(i))).toEqual([1, 3, 1, 1]);
    expect([0, 1, 2, 3].map((i) => layout.top(i))).toEqual([0, 1, 4, 5]);
    expect(layout.totalRows).toBe(6);
    expect(layout.lineAt(0)).toBe(0);
    expect(layout.lineAt(3)).toBe(1);
    expect(layout.lineAt(4)).toBe(2);
    expect(layout.lineAt(99)).toBe(3);
  });

  it("grows with a live log and starts over when the width changes", () => {
    const lines = ["x".repeat(20)];
    const layout = new WrapLayout((l) => l.length);
    layout.update(lines, 10);
    lines.push("y");
    layout.update(lines, 10);
    expect(layout.totalRows).toBe(3);
    layout.update(lines, 20);
    expect(layout.totalRows).toBe(2);
    layout.update(["a", "b", "c"], 20);
    expect(layout.totalRows).toBe(3);
  });
});

describe("displayWidth", () => {
  it("expands tabs to the next stop", () => {
    expect(displayWidth("ab\tc")).toBe(9);
    expect(displayWidth("plain")).toBe(5);
  });
});
