/**
 * Retention rules for people: a job's effective policy (its overrides laid over the global
 * policy, each rule marked with where it comes from), the sentences for each rule, and the
 * form that edits either. Pure functions, tested beside.
 */
import type { RetentionPolicy, RetentionRules } from "../api/retention";

/** The four rules as the UI lists them: days per status, then the cap and the floor. */
export type RuleKey = "completed" | "failed" | "keep_max" | "keep_min";
export const RULE_KEYS: readonly RuleKey[] = ["completed", "failed", "keep_max", "keep_min"];

export const RULE_LABELS: Record<RuleKey, string> = {
  completed: "Keep completed runs",
  failed: "Keep failed runs",
  keep_max: "At most",
  keep_min: "Always keep the newest",
};

export interface EffectiveRule {
  key: RuleKey;
  value: number | null;
  /** The job sets this rule itself (else it follows the global policy). */
  overridden: boolean;
}

function ruleOf(p: RetentionPolicy | RetentionRules, key: RuleKey): { set: boolean; value: number | null } {
  if (key === "completed" || key === "failed") {
    const days = p.keep_days;
    return days && key in days ? { set: true, value: days[key] ?? null } : { set: false, value: null };
  }
  return key in p ? { set: true, value: p[key] ?? null } : { set: false, value: null };
}

/**
 * The rules a job runs under. A status the global policy gives no age limit keeps its runs
 * forever. Like the server, a floor above the cap raises the cap to the floor: the floor is
 * the promise made about that job.
 */
export function effectiveRules(global: RetentionPolicy, rules: RetentionRules | null | undefined): EffectiveRule[] {
  const out = RULE_KEYS.map((key): EffectiveRule => {
    const own = rules ? ruleOf(rules, key) : { set: false, value: null };
    if (own.set) return { key, value: own.value, overridden: true };
    return { key, value: ruleOf(global, key).value, overridden: false };
  });
  const max = out[2];
  const min = out[3];
  if (max && min && max.value !== null && min.value !== null && min.value > max.value) {
    out[2] = { ...max, value: min.value };
  }
  return out;
}

/** The rules as a policy object, e.g. for a dry run's effective policy of one job. */
export function rulesOfPolicy(policy: RetentionPolicy): EffectiveRule[] {
  return RULE_KEYS.map((key) => ({ key, value: ruleOf(policy, key).value, overridden: false }));
}

/** "30 days", "forever", "10,000 runs", "no cap", "20 runs", "none". */
export function describeRule(key: RuleKey, value: number | null): string {
  const n = (x: number, unit: string) => `${x.toLocaleString("en")} ${unit}${x === 1 ? "" : "s"}`;
  switch (key) {
    case "completed":
    case "failed":
      return value === null ? "forever" : n(value, "day");
    case "keep_max":
      return value === null ? "no cap" : `${n(value, "run")} per job`;
    case "keep_min":
      return value === null || value === 0 ? "no floor" : n(value, "run");
  }
}

/** A one-line summary of a policy: "completed 30 days · failed 90 days · at most 10,000 · newest 20". */
export function policyInWords(policy: RetentionPolicy): string {
  const [c, f, max, min] = rulesOfPolicy(policy);
  return [
    `completed ${describeRule("completed", c?.value ?? null)}`,
    `failed ${describeRule("failed", f?.value ?? null)}`,
    max?.value === null ? "no cap" : `at most ${(max?.value ?? 0).toLocaleString("en")}`,
    `newest ${(min?.value ?? 0).toLocaleString("en")} kept`,
  ].join(" · ");
}

/**
 * One rule in the form. `inherit`: follow the global policy (a job's form only); `value`: the
 * number typed; `none`: no limit (keep forever, no cap; not offered for the floor).
 */
export interface RuleInput {
  mode: "inherit" | "value" | "none";
  value: string;
}

export type RetentionForm = Record<RuleKey, RuleInput>;

function input(set: boolean, value: number | null, fallback: number | null): RuleInput {
  if (!set) return { mode: "inherit", value: fallback === null ? "" : String(fallback) };
  return value === null ? { mode: "none", value: fallback === null ? "" : String(fallback) } : { mode: "value", value: String(value) };
}

/** The form for a job's overrides: rules it does not set follow the global policy (shown as its values). */
export function formFromRules(rules: RetentionRules | null | undefined, global: RetentionPolicy): RetentionForm {
  const form = {} as RetentionForm;
  for (const key of RULE_KEYS) {
    const own = rules ? ruleOf(rules, key) : { set: false, value: null };
    form[key] = input(own.set, own.value, ruleOf(global, key).value);
  }
  return form;
}

/** The form for the global policy: every rule is set. */
export function formFromPolicy(policy: RetentionPolicy): RetentionForm {
  const form = {} as RetentionForm;
  for (const key of RULE_KEYS) {
    const r = ruleOf(policy, key);
    form[key] = r.value === null && key !== "keep_min" ? { mode: "none", value: "" } : { mode: "value", value: String(r.value ?? 0) };
  }
  return form;
}

type Errors = Partial<Record<RuleKey, string>>;

function parseCount(key: RuleKey, text: string, errors: Errors): number | undefined {
  const t = text.trim();
  const min = key === "keep_min" ? 0 : 1;
  if (!/^\d+$/.test(t)) {
    errors[key] = t ? "must be a whole number" : "give a number";
    return undefined;
  }
  const n = Number(t);
  if (n < min) {
    errors[key] = `must be at least ${min}`;
    return undefined;
  }
  return n;
}

/** The body for PATCH /jobs/{id} {retention}: only the rules the job sets; null when it sets none. */
export function rulesFromForm(form: RetentionForm): { rules: RetentionRules | null; errors: Errors } {
  const errors: Errors = {};
  const rules: RetentionRules = {};
  for (const key of RULE_KEYS) {
    const r = form[key];
    if (r.mode === "inherit") continue;
    const value = r.mode === "none" ? null : parseCount(key, r.value, errors);
    if (value === undefined) continue;
    if (key === "completed" || key === "failed") rules.keep_days = { ...rules.keep_days, [key]: value };
    else if (key === "keep_max") rules.keep_max = value;
    else if (value !== null) rules.keep_min = value;
  }
  return { rules: Object.keys(rules).length ? rules : null, errors };
}

/** The body for PUT /settings/retention. */
export function policyFromForm(form: RetentionForm): { policy: RetentionPolicy; errors: Errors } {
  const errors: Errors = {};
  const value = (key: RuleKey) => (form[key].mode === "none" ? null : (parseCount(key, form[key].value, errors) ?? null));
  const policy: RetentionPolicy = {
    keep_days: { completed: value("completed"), failed: value("failed") },
    keep_max: value("keep_max"),
    keep_min: value("keep_min") ?? 0,
  };
  return { policy, errors };
}

/** Which rule a server's field name points at ("retention.keep_days.failed" → "failed"). */
export function ruleOfField(field: string): RuleKey | undefined {
  const f = field.replace(/^(body\.)?(retention\.)?/, "");
  if (f === "keep_days.completed") return "completed";
  if (f === "keep_days.failed") return "failed";
  if (f === "keep_max") return "keep_max";
  if (f === "keep_min") return "keep_min";
  return undefined;
}

/** The server's 422 field errors split into those of a rule and the rest (as sentences). */
export function errorsByRule(fields: readonly { field: string; message: string }[]): {
  byRule: Partial<Record<RuleKey, string>>;
  other: string[];
} {
  const byRule: Partial<Record<RuleKey, string>> = {};
  const other: string[] = [];
  for (const f of fields) {
    const key = ruleOfField(f.field);
    if (key) byRule[key] = f.message;
    else other.push(f.field ? `${f.field}: ${f.message}` : f.message);
  }
  return { byRule, other };
}
