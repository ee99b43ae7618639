import type { Job } from "../api/jobs";

interface Props {
  job: Job;
  busy: boolean;
  onRun: () => void;
  onToggle: () => void;
  onEdit: () => void;
  onDelete: () => void;
  compact?: boolean;
}

/** Run now, pause / resume, edit, delete: each a labelled button. */
export function JobActions({ job, busy, onRun, onToggle, onEdit, onDelete, compact }: Props) {
  const paused = job.state === "paused";
  return (
    <div class={compact ? "actions actions--compact" : "actions"} role="group" aria-label={`Actions for ${job.name}`}>
      <button type="button" class="btn btn--small btn--primary" disabled={busy} onClick={onRun} aria-label={`Run ${job.name} now`}>
        <svg width="10" height="10" viewBox="0 0 10 10" aria-hidden="true">
          <path d="M2 1.2v7.6L8.6 5z" fill="currentColor" />
        </svg>
        Run now
      </button>
      <button type="button" class="btn btn--small" disabled={busy} onClick={onToggle} aria-label={`${paused ? "Resume" : "Pause"} ${job.name}`}>
        {paused ? "Resume" : "Pause"}
      </button>
      <button type="button" class="btn btn--small" onClick={onEdit} aria-label={`Edit ${job.name}`}>
        Edit
      </button>
      <button type="button" class="btn btn--small btn--danger-ghost" onClick={onDelete} aria-label={`Delete ${job.name}`}>
        Delete
      </button>
    </div>
  );
}
