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

export function StatusBadge({ status }: { status: ExecutionStatus | undefined }) {
  const s = statusStyle(status);
  return (
    <span class={`badge badge--${s.tone}`} data-status={status ?? "none"}>
      <Icon status={status} />
      {s.label}
    </span>
  );
}
