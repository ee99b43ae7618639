/**
 * The inputs of a retention policy: for each rule, how (a number, no limit, or, on a job, as the
 * global policy) and the number. Shared by a job's overrides and the global settings.
 */
import type { RetentionPolicy } from "../api/retention";
import { describeRule, type RetentionForm, RULE_KEYS, RULE_LABELS, type RuleInput, type RuleKey } from "../lib/retention";

interface Props {
  idPrefix: string;
  form: RetentionForm;
  errors: Partial<Record<RuleKey, string>>;
  onChange: (form: RetentionForm) => void;
  /** On a job's form: the global policy, offered as "as the global policy (30 days)". */
  global?: RetentionPolicy | undefined;
}

const UNIT: Record<RuleKey, string> = { completed: "days", failed: "days", keep_max: "runs", keep_min: "runs" };
const NONE: Partial<Record<RuleKey, string>> = { completed: "forever", failed: "forever", keep_max: "no cap" };
const VALUE: Record<RuleKey, string> = {
  completed: "for a number of days",
  failed: "for a number of days",
  keep_max: "a number of runs per job",
  keep_min: "a number of runs",
};

function globalValue(global: RetentionPolicy, key: RuleKey): number | null {
  if (key === "completed" || key === "failed") return global.keep_days[key] ?? null;
  return global[key];
}

export function RetentionFields({ idPrefix, form, errors, onChange, global }: Props) {
  const set = (key: RuleKey, next: Partial<RuleInput>) => onChange({ ...form, [key]: { ...form[key], ...next } });
  return (
    <div class="rule-fields">
      {RULE_KEYS.map((key) => {
        const id = `${idPrefix}-${key}`;
        const r = form[key];
        const error = errors[key];
        const none = NONE[key];
        const chooses = Boolean(global || none);
        return (
          <div key={key} class={error ? "field field--invalid" : "field"} data-rule-field={key}>
            {/* A rule with one way to set it (the global floor) needs no choice, only its number. */}
            <label for={chooses ? `${id}-mode` : id}>{RULE_LABELS[key]}</label>
            <div class="inline-inputs">
              {chooses && (
                <select
                  id={`${id}-mode`}
                  value={r.mode}
                  onChange={(e) => set(key, { mode: e.currentTarget.value as RuleInput["mode"] })}
                  aria-describedby={error ? `${id}-error` : undefined}
                >
                  {global && <option value="inherit">as the global policy ({describeRule(key, globalValue(global, key))})</option>}
                  <option value="value">{VALUE[key]}</option>
                  {none && <option value="none">{none}</option>}
                </select>
              )}
              {r.mode === "value" && (
                <>
                  <input
                    id={id}
                    type="number"
                    class="input-narrow"
                    min={key === "keep_min" ? 0 : 1}
                    step={1}
                    inputMode="numeric"
                    value={r.value}
                    aria-label={chooses ? `${RULE_LABELS[key]} (${UNIT[key]})` : undefined}
                    aria-invalid={Boolean(error)}
                    aria-describedby={error ? `${id}-error` : undefined}
                    onInput={(e) => set(key, { value: e.currentTarget.value })}
                  />
                  <span class="muted unit" aria-hidden="true">
                    {UNIT[key]}
                  </span>
                </>
              )}
            </div>
            {error && (
              <p id={`${id}-error`} class="field-error" data-field-error={key}>
                {error}
              </p>
            )}
          </div>
        );
      })}
    </div>
  );
}
