import { describe, expect, it } from "vitest";
import { cronInWords, intervalInWords, scheduleInWords } from "./schedule";

describe("intervalInWords", () => {
  it.each([
    [1, "every second"],
    [30, "every 30 seconds"],
    [60, "every minute"],
    [90, "every 90 seconds"],
    [300, "every 5 minutes"],
    [3600, "every hour"],
    [7200, "every 2 hours"],
    [86400, "every day"],
    [172800, "every 2 days"],
  ])("says %d seconds as %s", (s, text) => {
    expect(intervalInWords(s)).toBe(text);
  });
});

describe("cronInWords", () => {
  it.each([
    ["* * * * *", "UTC", "every minute"],
    ["*/5 * * * *", "Europe/Berlin", "every 5 minutes"],
    ["0 * * * *", "UTC", "every hour"],
    ["15 * * * *", "UTC", "every hour at :15"],
    ["0,30 * * * *", "UTC", "every hour at :00 and :30"],
    ["0 */2 * * *", "UTC", "every 2 hours, UTC"],
    ["0 2 * * *", "Europe/Berlin", "at 02:00, Europe/Berlin"],
    ["30 9 * * 1-5", "UTC", "at 09:30 on weekdays, UTC"],
    ["0 9 * * 1", "America/New_York", "at 09:00 on Monday, America/New_York"],
    ["0 9 * * mon,wed", "UTC", "at 09:00 on Monday and Wednesday, UTC"],
    ["0 10 * * 0,6", "UTC", "at 10:00 on weekends, UTC"],
    ["0 9,17 * * *", "UTC", "at 09:00 and 17:00, UTC"],
    ["0 0 1 * *", "UTC", "at 00:00 on the 1st of the month, UTC"],
    ["0 0 1 1 *", "UTC", "at 00:00 on 1 January, UTC"],
    ["@daily", "Asia/Tokyo", "at 00:00, Asia/Tokyo"],
    ["@hourly", "UTC", "every hour"],
    ["@weekly", "UTC", "at 00:00 on Sunday, UTC"],
    ["  0   2 * * *  ", "UTC", "at 02:00, UTC"],
  ])("says %s in %s as %s", (cron, tz, text) => {
    expect(cronInWords(cron, tz)).toBe(text);
  });

  it("falls back to the expression for shapes it cannot say briefly", () => {
    expect(cronInWords("0 9 1-7 * 1", "UTC")).toBe("cron 0 9 1-7 * 1, UTC");
    expect(cronInWords("5-10/2 3-4 * * *", "UTC")).toBe("cron 5-10/2 3-4 * * *, UTC");
    expect(cronInWords("not cron", "UTC")).toBe("cron not cron, UTC");
  });

  it("does not put an impossible expression into words", () => {
    expect(cronInWords("61 * * * *", "UTC")).toBe("cron 61 * * * *, UTC");
    expect(cronInWords("0 24 * * *", "UTC")).toBe("cron 0 24 * * *, UTC");
    expect(cronInWords("0 0 0 * *", "UTC")).toBe("cron 0 0 0 * *, UTC");
    expect(cronInWords("0 0 * 13 *", "UTC")).toBe("cron 0 0 * 13 *, UTC");
  });
});

describe("scheduleInWords", () => {
  it("prefers the interval when there is one", () => {
    expect(scheduleInWords({ interval_seconds: 300, cron: null, timezone: "UTC" })).toBe("every 5 minutes");
  });
  it("says the cron schedule with its zone", () => {
    expect(scheduleInWords({ cron: "0 2 * * *", timezone: "Europe/Berlin" })).toBe("at 02:00, Europe/Berlin");
  });
  it("says when there is none", () => {
    expect(scheduleInWords({})).toBe("no schedule");
  });
});
