import { useNow } from "../hooks/useNow";
import { executionDurationMs, formatDuration } from "../lib/format";

interface Props {
  execution: { status: string; started_at: string; completed_at?: string; duration_ms?: number };
}

/** How long an execution took; ticks every second while it runs. */
export function Duration({ execution }: Props) {
  const running = execution.status === "running";
  const now = useNow(1000, running);
  const ms = executionDurationMs(running ? { started_at: execution.started_at } : execution, now);
  if (ms === undefined) return <span class="muted">—</span>;
  return (
    <span class={running ? "duration ticking" : "duration"} title={running ? "running for" : `${ms} ms`}>
      {formatDuration(ms)}
    </span>
  );
}
