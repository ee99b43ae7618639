import { STATS_WINDOWS } from "../api/stats";
import { windowName, windowShort } from "../lib/stats";

/** 24 h / 7 d / 30 d / 90 d, as toggle buttons. */
export function WindowPicker({ value, onChange }: { value: number; onChange: (days: number) => void }) {
  return (
    <div class="filter" role="group" aria-label="Statistics window">
      {STATS_WINDOWS.map((days) => (
        <button
          key={days}
          type="button"
          class={value === days ? "filter-btn filter-btn--on" : "filter-btn"}
          aria-pressed={value === days}
          title={`the last ${windowName(days)}`}
          onClick={() => onChange(days)}
          data-days={days}
        >
          {windowShort(days)}
        </button>
      ))}
    </div>
  );
}
