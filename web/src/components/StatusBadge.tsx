import type { ExecutionStatus } from "../api/executions";

export type Tone = "purple" | "green" | "red" | "grey";

interface StatusStyle {
  label: string;
  tone: Tone;
}

/** The seed's colour coding: running purple, completed green, failed red; each with a word and an icon. */
export function statusStyle(status: ExecutionStatus | undefined): StatusStyle {
  switch (status) {
    case "running":
      return { label: "Running", tone: "purple" };
    case "completed":
      return { label: "Completed", tone: "green" };
    case "failed":
      return { label: "Failed", tone: "red" };
    default:
      return { label: "Never run", tone: "grey" };
  }
}

function Icon({ status }: { status: ExecutionStatus | undefined }) {
  const common = { width: 12, height: 12, viewBox: "0 0 12 12", "aria-hidden": true, class: "badge-icon" } as const;
  switch (status) {
    case "running":
      return (
        <svg {...common} class="badge-icon spin">
          <circle cx="6" cy="6" r="4.5" fill="none" stroke="currentColor" stroke-width="1.6" stroke-dasharray="18 10" />
        </svg>
      );
    case "completed":
      return (
        <svg {...common}>
          <path d="M2.5 6.2l2.3 2.3 4.7-5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
      );
    case "failed":
      return (
        <svg {...common}>
          <path d="M3 3l6 6M9 3l-6 6" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
        </svg>
      );
    default:
      return (
        <svg {...common}>
          <circle cx="6" cy="6" r="2" fill="currentColor" />
        </svg>
      );
  }
}

interface BadgeProps {
  status: ExecutionStatus | undefined;
  /** When a cancel was asked for (a running execution is then "Cancelling…"). */
  cancelRequestedAt?: string | undefined;
  /** When it ended because it was cancelled (a failed execution is then "Cancelled"). */
  cancelledAt?: string | undefined;
}

/** The status in words and colour; a cancelled run is told apart from one that failed by itself. */
export function StatusBadge({ status, cancelRequestedAt, cancelledAt }: BadgeProps) {
  const s = statusStyle(status);
  let label = s.label;
  let tone = s.tone;
  if (status === "failed" && cancelledAt) {
    label = "Cancelled";
    tone = "grey";
  } else if (status === "running" && cancelRequestedAt) {
    label = "Cancelling…";
  }
  return (
    <span class={`badge badge--${tone}`} data-status={status ?? "none"} data-cancelled={cancelledAt ? "true" : undefined}>
      <Icon status={status} />
      {label}
    </span>
  );
}
