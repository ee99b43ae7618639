import type { ExecutionStatus } from "../api/executions";

const OPTIONS: { value: ExecutionStatus | undefined; label: string }[] = [
  { value: undefined, label: "All" },
  { value: "running", label: "Running" },
  { value: "completed", label: "Completed" },
  { value: "failed", label: "Failed" },
];

/** All / Running / Completed / Failed, as toggle buttons. */
export function StatusFilter({ value, onChange }: { value: ExecutionStatus | undefined; onChange: (s: ExecutionStatus | undefined) => void }) {
  return (
    <div class="filter" role="group" aria-label="Filter executions by status">
      {OPTIONS.map((o) => (
        <button
          key={o.label}
          type="button"
          class={value === o.value ? "filter-btn filter-btn--on" : "filter-btn"}
          aria-pressed={value === o.value}
          onClick={() => onChange(o.value)}
          data-filter={o.value ?? "all"}
        >
          {o.value && <span class={`dot dot--${o.value}`} aria-hidden="true" />}
          {o.label}
        </button>
      ))}
    </div>
  );
}
