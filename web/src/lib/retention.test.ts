import { describe, expect, it } from "vitest";
import type { RetentionPolicy } from "../api/retention";
import {
  describeRule,
  effectiveRules,
  errorsByRule,
  formFromPolicy,
  formFromRules,
  policyFromForm,
  policyInWords,
  ruleOfField,
  rulesFromForm,
} from "./retention";

const GLOBAL: RetentionPolicy = { keep_days: { completed: 30, failed: 90 }, keep_max: 10_000, keep_min: 20 };

describe("effectiveRules", () => {
  it("is the global policy for a job without rules of its own", () => {
    expect(effectiveRules(GLOBAL, null)).toEqual([
      { key: "completed", value: 30, overridden: false },
      { key: "failed", value: 90, overridden: false },
      { key: "keep_max", value: 10_000, overridden: false },
      { key: "keep_min", value: 20, overridden: false },
    ]);
  });

  it("lays a job's rules over the global ones, status by status, and marks them", () => {
    const rules = effectiveRules(GLOBAL, { keep_days: { failed: null }, keep_min: 5 });
    expect(rules).toEqual([
      { key: "completed", value: 30, overridden: false },
      { key: "failed", value: null, overridden: true },
      { key: "keep_max", value: 10_000, overridden: false },
      { key: "keep_min", value: 5, overridden: true },
    ]);
  });

  it("keeps a status the global policy gives no age forever", () => {
    const rules = effectiveRules({ keep_days: { failed: 90 }, keep_max: null, keep_min: 0 }, undefined);
    expect(rules[0]).toEqual({ key: "completed", value: null, overridden: false });
    expect(rules[2]?.value).toBeNull();
  });

  it("raises the cap to a floor above it, as the server does", () => {
    const rules = effectiveRules(GLOBAL, { keep_min: 50_000 });
    expect(rules[2]).toEqual({ key: "keep_max", value: 50_000, overridden: false });
  });
});

describe("describeRule", () => {
  it.each([
    ["completed", 30, "30 days"],
    ["failed", 1, "1 day"],
    ["failed", null, "forever"],
    ["keep_max", 10_000, "10,000 runs per job"],
    ["keep_max", null, "no cap"],
    ["keep_min", 20, "20 runs"],
    ["keep_min", 0, "no floor"],
  ] as const)("describes %s = %s as %s", (key, value, text) => {
    expect(describeRule(key, value)).toBe(text);
  });

  it("sums up a policy in a line", () => {
    expect(policyInWords(GLOBAL)).toBe("completed 30 days · failed 90 days · at most 10,000 · newest 20 kept");
  });
});

describe("the job's retention form", () => {
  it("starts from the job's rules, the others following the global policy", () => {
    const form = formFromRules({ keep_days: { failed: 180 }, keep_max: null }, GLOBAL);
    expect(form).toEqual({
      completed: { mode: "inherit", value: "30" },
      failed: { mode: "value", value: "180" },
      keep_max: { mode: "none", value: "10000" },
      keep_min: { mode: "inherit", value: "20" },
    });
  });

  it("sends only the rules the job sets", () => {
    const form = formFromRules(null, GLOBAL);
    form.failed = { mode: "value", value: "180" };
    form.keep_max = { mode: "none", value: "" };
    expect(rulesFromForm(form)).toEqual({ rules: { keep_days: { failed: 180 }, keep_max: null }, errors: {} });
  });

  it("sends null when every rule follows the global policy", () => {
    expect(rulesFromForm(formFromRules(null, GLOBAL))).toEqual({ rules: null, errors: {} });
  });

  it("says which number is wrong", () => {
    const form = formFromRules(null, GLOBAL);
    form.completed = { mode: "value", value: "0" };
    form.keep_min = { mode: "value", value: "2.5" };
    expect(rulesFromForm(form).errors).toEqual({ completed: "must be at least 1", keep_min: "must be a whole number" });
  });
});

describe("the global policy's form", () => {
  it("round-trips a policy", () => {
    const policy: RetentionPolicy = { keep_days: { completed: 14, failed: null }, keep_max: null, keep_min: 0 };
    expect(policyFromForm(formFromPolicy(policy))).toEqual({ policy, errors: {} });
  });
});

describe("server errors", () => {
  it("find the rule a field names", () => {
    expect(ruleOfField("retention.keep_days.failed")).toBe("failed");
    expect(ruleOfField("keep_days.completed")).toBe("completed");
    expect(ruleOfField("retention.keep_min")).toBe("keep_min");
    expect(ruleOfField("body.keep_max")).toBe("keep_max");
    expect(ruleOfField("retention")).toBeUndefined();
  });

  it("keep the messages of other fields as sentences", () => {
    expect(
      errorsByRule([
        { field: "retention.keep_min", message: "must not exceed keep_max" },
        { field: "retention.keep_hours", message: "unknown rule" },
      ]),
    ).toEqual({ byRule: { keep_min: "must not exceed keep_max" }, other: ["retention.keep_hours: unknown rule"] });
  });
});
