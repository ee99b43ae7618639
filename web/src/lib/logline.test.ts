import { describe, expect, it } from "vitest";
import { parseLogLine, splitLines } from "./logline";

describe("parseLogLine", () => {
  it("reads a stdout line", () => {
    expect(parseLogLine("[2025-12-06T02:00:00.123Z] Starting job")).toEqual({
      ts: "2025-12-06T02:00:00.123Z",
      stream: "stdout",
      text: "Starting job",
      truncation: false,
    });
  });

  it("tells stderr, logging and Pulse's notes apart", () => {
    expect(parseLogLine("[2025-12-06T02:00:00.123Z] [stderr] oops").stream).toBe("stderr");
    expect(parseLogLine("[2025-12-06T02:00:00.123Z] [log] INFO x").stream).toBe("log");
    expect(parseLogLine("[2025-12-06T02:00:00.123Z] [pulse] timed out").stream).toBe("system");
    expect(parseLogLine("[2025-12-06T02:00:00.123Z] [stderr] oops").text).toBe("oops");
  });

  it("spots the truncation marker", () => {
    const line = parseLogLine("[2025-12-06T02:00:00.123Z] [pulse] … 4194304 bytes dropped …");
    expect(line.truncation).toBe(true);
    expect(parseLogLine("[2025-12-06T02:00:00.123Z] 5 bytes dropped").truncation).toBe(false);
  });

  it("keeps brackets that a program printed itself", () => {
    expect(parseLogLine("[2025-12-06T02:00:00.123Z] [INFO] ready").text).toBe("[INFO] ready");
    expect(parseLogLine("no stamp at all").ts).toBeNull();
  });

  it("reads an empty line", () => {
    expect(parseLogLine("[2025-12-06T02:00:00.123Z] ").text).toBe("");
  });
});

describe("splitLines", () => {
  it("carries an unfinished line to the next piece", () => {
    const a = splitLines("one\ntw");
    expect(a).toEqual({ lines: ["one"], rest: "tw" });
    expect(splitLines("o\nthree\n", a.rest)).toEqual({ lines: ["two", "three"], rest: "" });
  });
});
