import { describe, expect, it } from "vitest";
import type { Job } from "../api/jobs";
import { bodyFromForm, emptyForm, fieldKey, formFromJob, parseEnv } from "./jobForm";

describe("bodyFromForm", () => {
  it("makes the minimal body of the API's example", () => {
    const { body, errors } = bodyFromForm({ ...emptyForm(), name: " backup ", command: "echo hi", intervalValue: "1", intervalUnit: "minutes" });
    expect(errors).toEqual({});
    expect(body).toMatchObject({ name: "backup", command: "echo hi", interval_seconds: 60, cron: null, handler: null });
  });

  it("sends cron with its zone and clears the interval", () => {
    const { body } = bodyFromForm({ ...emptyForm(), name: "x", scheduleKind: "cron", cron: "*/5 * * * *", timezone: "Europe/Berlin", command: "true" });
    expect(body).toMatchObject({ cron: "*/5 * * * *", timezone: "Europe/Berlin", interval_seconds: null });
  });

  it("sends the retry policy, and checks its ranges", () => {
    const { body } = bodyFromForm({ ...emptyForm(), name: "x", command: "c", maxAttempts: "3", retryBackoffSeconds: "2.5" });
    expect(body).toMatchObject({ max_attempts: 3, retry_backoff_seconds: 2.5 });
    const bad = bodyFromForm({ ...emptyForm(), name: "x", command: "c", maxAttempts: "101", retryBackoffSeconds: "0" }).errors;
    expect(bad.max_attempts).toContain("1 to 100");
    expect(bad.retry_backoff_seconds).toContain("at most 3600");
    expect(bodyFromForm({ ...emptyForm(), name: "x", command: "c", maxAttempts: "1.5" }).errors.max_attempts).toBeDefined();
  });

  it("defaults a new job's time zone to the browser's", () => {
    expect(emptyForm().timezone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it("catches bad JSON and bad env lines before asking the server", () => {
    expect(bodyFromForm({ ...emptyForm(), name: "x", targetKind: "handler", handler: "h", payload: "{nope" }).errors).toEqual({
      payload: "not valid JSON",
    });
    expect(bodyFromForm({ ...emptyForm(), name: "x", command: "c", env: "JUSTNAME" }).errors.env).toContain("NAME=value");
  });

  it("round-trips a job through the form", () => {
    const job: Job = {
      id: "SPJ_1",
      name: "n",
      description: "d",
      cron: "0 2 * * *",
      timezone: "Europe/Berlin",
      schedule_description: "",
      command: "echo hi",
      env: { A: "1" },
      state: "active",
      overlap: "allow",
      skipped_count: 0,
      max_attempts: 1,
      retry_backoff_seconds: 10,
      timeout_seconds: 30,
      created_at: "",
      updated_at: "",
    };
    const { body } = bodyFromForm(formFromJob(job));
    expect(body).toMatchObject({ name: "n", cron: "0 2 * * *", timezone: "Europe/Berlin", command: "echo hi", env: { A: "1" }, timeout_seconds: 30, overlap: "allow" });
  });
});

describe("parseEnv", () => {
  it("reads NAME=value lines, skipping blanks and comments, keeping = in values", () => {
    expect(parseEnv("A=1\n\n# c\nB=x=y")).toEqual({ env: { A: "1", B: "x=y" } });
  });
});

describe("fieldKey", () => {
  it("maps the server's field names to the form's", () => {
    expect(fieldKey("cron")).toBe("cron");
    expect(fieldKey("body.interval_seconds")).toBe("interval_seconds");
    expect(fieldKey("env.FOO")).toBe("env");
  });
});
