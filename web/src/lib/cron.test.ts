import { describe, expect, it } from "vitest";
import { cronError } from "./cron";

describe("cronError", () => {
  it("accepts five valid fields and the macros", () => {
    for (const ok of ["* * * * *", "*/5 * * * *", "0 2 * * *", "0 9-17/2 * * mon-fri", "0 0 1,15 jan,JUL *", "0 0 * * 7", "@daily", "@HOURLY", "30 2\t* * *"]) {
      expect(cronError(ok), ok).toBeNull();
    }
  });

  it("says a value is out of its field's range", () => {
    expect(cronError("99 2 * * *")).toBe("'99 2 * * *' is not a valid cron expression: bad minute '99': 99 is not in 0-59");
    expect(cronError("0 24 * * *")).toContain("bad hour '24': 24 is not in 0-23");
    expect(cronError("0 0 0 * *")).toContain("bad day-of-month '0': 0 is not in 1-31");
    expect(cronError("0 0 * 13 *")).toContain("13 is not in 1-12");
    expect(cronError("0 0 * * 8")).toContain("8 is not in 0-7");
  });

  it("wants five fields", () => {
    expect(cronError("0 2 * *")).toContain("must have 5 fields");
    expect(cronError("0 2 * * * *")).toContain("must have 5 fields");
  });

  it("checks each field's syntax", () => {
    expect(cronError("5/10 * * * *")).toContain("a step needs a range or '*' before it (e.g. 5-59/10)");
    expect(cronError("*/0 * * * *")).toContain("the step must be at least 1");
    expect(cronError("*/x * * * *")).toContain("the step must be a number");
    expect(cronError("5-2 * * * *")).toContain("the range is backwards");
    expect(cronError("1,,2 * * * *")).toContain("empty list element");
    expect(cronError("*,5 * * * *")).toContain("'*' cannot be combined");
    expect(cronError("0 0 * foo *")).toContain("'foo' is neither a number nor a name like jan");
    expect(cronError("L * * * *")).toContain("'L' is not a number");
    expect(cronError("0 0 ? * *")).toContain("is not a number");
    expect(cronError("0 0 * * mon#2")).toContain("is neither a number nor a name");
  });

  it("refuses what never fires, unknown macros and @reboot", () => {
    expect(cronError("0 0 30 2 *")).toBe("'0 0 30 2 *' would never fire: day-of-month 30 does not occur in February");
    expect(cronError("0 0 30 2 mon")).toBeNull(); // either rule: every Monday in February
    expect(cronError("@often")).toContain("unknown macro '@often'");
    expect(cronError("@reboot")).toContain("not supported");
    expect(cronError("0 0 * * é")).toContain("unexpected character");
    expect(cronError("  ")).toBe("give a cron expression");
  });
});
