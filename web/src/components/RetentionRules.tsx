/** A policy's rules as a list; on a job, each marked "this job" or "global". */
import { describeRule, type EffectiveRule, RULE_LABELS } from "../lib/retention";

export function RetentionRules({ rules, marked = false }: { rules: EffectiveRule[]; marked?: boolean }) {
  return (
    <dl class="rules">
      {rules.map((r) => (
        <div key={r.key} data-rule={r.key} data-overridden={marked ? String(r.overridden) : undefined}>
          <dt>{RULE_LABELS[r.key]}</dt>
          <dd>
            <span data-rule-value>{describeRule(r.key, r.value)}</span>
            {marked &&
              (r.overridden ? (
                <span class="tag tag--accent">this job</span>
              ) : (
                <span class="tag">global</span>
              ))}
          </dd>
        </div>
      ))}
    </dl>
  );
}
