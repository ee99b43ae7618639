import { describe, expect, it } from "vitest";
import { AnsiCarry, applySgr, parseAnsi, segmentAttrs, stripAnsi } from "./ansi";

const ESC = "\x1b";

describe("parseAnsi", () => {
  it("leaves plain text alone", () => {
    expect(parseAnsi("hello")).toEqual({ segments: [{ text: "hello", style: {} }], end: {} });
  });

  it("turns SGR colours into styled runs and resets", () => {
    const { segments, end } = parseAnsi(`ok ${ESC}[31mred${ESC}[0m plain ${ESC}[1;92mbright${ESC}[39m bold`);
    expect(segments).toEqual([
      { text: "ok ", style: {} },
      { text: "red", style: { fg: 1 } },
      { text: " plain ", style: {} },
      { text: "bright", style: { bold: true, fg: 10 } },
      { text: " bold", style: { bold: true } },
    ]);
    expect(end).toEqual({ bold: true });
  });

  it("carries a style over from the line before", () => {
    expect(parseAnsi("still red", { fg: 1 }).segments).toEqual([{ text: "still red", style: { fg: 1 } }]);
    expect(parseAnsi(`${ESC}[m`, { fg: 1 }).end).toEqual({});
  });

  it("drops cursor moves, erasing, titles and other escapes", () => {
    const text = `${ESC}[2K${ESC}[1Gprogress ${ESC}]0;my title${"\x07"}50%${ESC}[?25l${ESC}(B done${ESC}7\r`;
    expect(parseAnsi(text).segments).toEqual([{ text: "progress 50% done", style: {} }]);
  });

  it("reads 256 colours and truecolour", () => {
    expect(applySgr({}, "38;5;196").fg).toBe("#ff0000");
    expect(applySgr({}, "38;5;4").fg).toBe(4);
    expect(applySgr({}, "38;5;244").fg).toBe("#808080");
    expect(applySgr({}, "48;2;10;20;30").bg).toBe("#0a141e");
    expect(applySgr({ fg: 2 }, "38;9")).toEqual({ fg: 2 });
  });
});

describe("stripAnsi", () => {
  it("removes every sequence and keeps tabs", () => {
    expect(stripAnsi(`${ESC}[1;31mFAIL${ESC}[0m\ttest_x ${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\`)).toBe("FAIL\ttest_x link");
    expect(stripAnsi("plain")).toBe("plain");
  });
});

describe("segmentAttrs", () => {
  it("uses classes for the palette and inline colours otherwise", () => {
    expect(segmentAttrs({ fg: 1, bold: true })).toEqual({ class: "ansi-fg-9 ansi-bold", style: {} });
    expect(segmentAttrs({ fg: "#123456", underline: true })).toEqual({ class: "ansi-underline", style: { color: "#123456" } });
    expect(segmentAttrs({ fg: 2, inverse: true })).toEqual({ class: "ansi-fg-inverse ansi-bg-2", style: {} });
  });
});

describe("AnsiCarry", () => {
  it("carries a colour opened on one line into the next ones, until reset", () => {
    const lines = [`plain`, `${ESC}[32mgreen starts`, `still green`, `${ESC}[0mplain again`, "plain"];
    const carry = new AnsiCarry();
    expect(carry.startOf(lines, 0)).toEqual({});
    expect(carry.startOf(lines, 2)).toEqual({ fg: 2 });
    expect(carry.startOf(lines, 3)).toEqual({ fg: 2 });
    expect(carry.startOf(lines, 4)).toEqual({});
    lines.push(`${ESC}[1mbold`, "after");
    expect(carry.startOf(lines, 6)).toEqual({ bold: true });
    expect(carry.startOf(["x"], 0)).toEqual({});
  });
});
