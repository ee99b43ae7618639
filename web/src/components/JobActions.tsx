import type { Job } from "../api/jobs";

interface Props {
  job: Job;
  busy: boolean;
  onRun: () => void;
  onToggle: () => void;
  onEdit: () => void;
  onDelete: () => void;
  /** Icons only for pause, edit and delete (their names stay in aria-label and title). */
  compact?: boolean;
}

const ICONS = {
  pause: "M4 2.5v9M10 2.5v9",
  resume: "M4 2.2v9.6L11.5 7z",
  edit: "M9.5 2.5l2 2L5 11H3V9zM8 4l2 2",
  delete: "M2.5 4h9M5.5 4V2.5h3V4M4 4l.6 7.5h4.8L10 4",
} as const;

function Icon({ d, fill }: { d: string; fill?: boolean }) {
  return (
    <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
      <path d={d} fill={fill ? "currentColor" : "none"} stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

/** Run now, pause / resume, edit, delete: each a labelled button. */
export function JobActions({ job, busy, onRun, onToggle, onEdit, onDelete, compact }: Props) {
  const paused = job.state === "paused";
  const toggleLabel = `${paused ? "Resume" : "Pause"} ${job.name}`;
  return (
    <div class={compact ? "actions actions--compact" : "actions"} role="group" aria-label={`Actions for ${job.name}`}>
      <button type="button" class="btn btn--small btn--primary" disabled={busy} onClick={onRun} aria-label={`Run now: ${job.name}`}>
        <svg width="10" height="10" viewBox="0 0 10 10" aria-hidden="true">
          <path d="M2 1.2v7.6L8.6 5z" fill="currentColor" />
        </svg>
        Run now
      </button>
      <button
        type="button"
        class={compact ? "btn btn--small btn--icon" : "btn btn--small"}
        disabled={busy}
        onClick={onToggle}
        aria-label={toggleLabel}
        title={toggleLabel}
      >
        <Icon d={paused ? ICONS.resume : ICONS.pause} fill={paused} />
        {!compact && (paused ? "Resume" : "Pause")}
      </button>
      <button type="button" class={compact ? "btn btn--small btn--icon" : "btn btn--small"} onClick={onEdit} aria-label={`Edit ${job.name}`} title={`Edit ${job.name}`}>
        <Icon d={ICONS.edit} />
        {!compact && "Edit"}
      </button>
      <button
        type="button"
        class={compact ? "btn btn--small btn--icon btn--danger-ghost" : "btn btn--small btn--danger-ghost"}
        onClick={onDelete}
        aria-label={`Delete ${job.name}`}
        title={`Delete ${job.name}`}
      >
        <Icon d={ICONS.delete} />
        {!compact && "Delete"}
      </button>
    </div>
  );
}
