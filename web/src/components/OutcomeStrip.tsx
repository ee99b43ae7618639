import { outcomesText } from "../lib/stats";

const CELLS = 20;

/** A job's last outcomes as small coloured cells, oldest first; one sentence for screen readers. */
export function OutcomeStrip({ recent }: { recent: readonly string[] }) {
  const text = outcomesText(recent);
  const shown = recent.slice(-CELLS);
  return (
    <span class="strip" role="img" aria-label={text} title={text} data-outcomes={shown.join(",")}>
      {Array.from({ length: CELLS - shown.length }, (_, i) => (
        <span key={`e${i}`} class="strip-cell" />
      ))}
      {shown.map((s, i) => (
        <span key={i} class={`strip-cell strip-cell--${s}`} />
      ))}
    </span>
  );
}
