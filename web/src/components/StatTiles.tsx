/** The headline numbers of a window: runs, success rate and duration percentiles. */
import type { ComponentChildren } from "preact";
import type { StatsTotals } from "../api/stats";
import { formatDuration } from "../lib/format";
import { formatSuccessRate, rateTone } from "../lib/stats";

function ms(v: number | null): string {
  return v === null ? "—" : formatDuration(v);
}

export function StatTiles({ stats, children }: { stats: StatsTotals; children?: ComponentChildren }) {
  return (
    <dl class="tiles">
      <div class="tile">
        <dt>Runs</dt>
        <dd data-stat="total">{stats.total.toLocaleString("en")}</dd>
      </div>
      <div class="tile">
        <dt>Success rate</dt>
        <dd data-stat="success_rate" class={`rate rate--${rateTone(stats.success_rate)}`}>
          {formatSuccessRate(stats.success_rate)}
        </dd>
        <dd class="tile-sub muted">
          {stats.completed.toLocaleString("en")} completed · {stats.failed.toLocaleString("en")} failed
        </dd>
      </div>
      <div class="tile">
        <dt>p50 duration</dt>
        <dd data-stat="p50">{ms(stats.duration_ms.p50)}</dd>
      </div>
      <div class="tile">
        <dt>p95 duration</dt>
        <dd data-stat="p95">{ms(stats.duration_ms.p95)}</dd>
        <dd class="tile-sub muted">max {ms(stats.duration_ms.max)}</dd>
      </div>
      {children}
    </dl>
  );
}
