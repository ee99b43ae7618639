/** The job form's values, and their translation to and from the API's bodies. Pure, tested beside. */
import type { Job, JobCreate } from "../api/jobs";

export interface JobFormValues {
  name: string;
  description: string;
  scheduleKind: "interval" | "cron";
  intervalValue: string;
  intervalUnit: "seconds" | "minutes" | "hours" | "days";
  cron: string;
  timezone: string;
  targetKind: "command" | "handler";
  command: string;
  cwd: string;
  env: string;
  handler: string;
  payload: string;
  timeoutSeconds: string;
  overlap: "forbid" | "allow";
  maxAttempts: string;
  retryBackoffSeconds: string;
}

/** The API field each form value is sent as (and whose error it shows): editing it clears that error. */
export const API_FIELD: Record<keyof JobFormValues, string> = {
  name: "name",
  description: "description",
  scheduleKind: "schedule",
  intervalValue: "interval_seconds",
  intervalUnit: "interval_seconds",
  cron: "cron",
  timezone: "timezone",
  targetKind: "target",
  command: "command",
  cwd: "cwd",
  env: "env",
  handler: "handler",
  payload: "payload",
  timeoutSeconds: "timeout_seconds",
  overlap: "overlap",
  maxAttempts: "max_attempts",
  retryBackoffSeconds: "retry_backoff_seconds",
};

/** The browser's time zone ("Europe/Berlin"), which a new cron job most likely means. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

const UNIT_SECONDS = { seconds: 1, minutes: 60, hours: 3600, days: 86400 } as const;

export function emptyForm(): JobFormValues {
  return {
    name: "",
    description: "",
    scheduleKind: "interval",
    intervalValue: "5",
    intervalUnit: "minutes",
    cron: "",
    timezone: browserTimeZone(),
    targetKind: "command",
    command: "",
    cwd: "",
    env: "",
    handler: "",
    payload: "",
    timeoutSeconds: "",
    overlap: "forbid",
    maxAttempts: "1",
    retryBackoffSeconds: "10",
  };
}

function intervalParts(seconds: number): Pick<JobFormValues, "intervalValue" | "intervalUnit"> {
  for (const unit of ["days", "hours", "minutes"] as const) {
    if (seconds % UNIT_SECONDS[unit] === 0) return { intervalValue: String(seconds / UNIT_SECONDS[unit]), intervalUnit: unit };
  }
  return { intervalValue: String(seconds), intervalUnit: "seconds" };
}

export function formFromJob(job: Job): JobFormValues {
  return {
    ...emptyForm(),
    name: job.name,
    description: job.description,
    scheduleKind: job.cron ? "cron" : "interval",
    ...(job.interval_seconds ? intervalParts(job.interval_seconds) : {}),
    cron: job.cron ?? "",
    timezone: job.timezone,
    targetKind: job.handler ? "handler" : "command",
    command: job.command ?? "",
    cwd: job.cwd ?? "",
    env: Object.entries(job.env)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n"),
    handler: job.handler ?? "",
    payload: job.payload === undefined || job.payload === null ? "" : JSON.stringify(job.payload, null, 2),
    timeoutSeconds: job.timeout_seconds ? String(job.timeout_seconds) : "",
    overlap: job.overlap,
    maxAttempts: String(job.max_attempts),
    retryBackoffSeconds: String(job.retry_backoff_seconds),
  };
}

/** Errors found before asking the server, by API field name. */
export type LocalErrors = Record<string, string>;

export function parseEnv(text: string): { env: Record<string, string>; error?: string } {
  const env: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return { env, error: `line ${i + 1}: write NAME=value` };
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return { env };
}

/**
 * The body for POST /jobs (or PATCH, which takes the same fields). The schedule and target not
 * chosen are sent as null, so that an edit from cron to interval clears the cron.
 */
export function bodyFromForm(v: JobFormValues): { body: JobCreate; errors: LocalErrors } {
  const errors: LocalErrors = {};
  const body: JobCreate = { name: v.name.trim(), description: v.description.trim(), overlap: v.overlap };
  if (v.scheduleKind === "interval") {
    const n = Number(v.intervalValue);
    if (!v.intervalValue.trim() || !Number.isFinite(n) || n <= 0) errors.interval_seconds = "give a positive number";
    body.interval_seconds = Math.round(n * UNIT_SECONDS[v.intervalUnit]);
    body.cron = null;
  } else {
    body.cron = v.cron.trim();
    body.timezone = v.timezone.trim() || "UTC";
    body.interval_seconds = null;
  }
  if (v.targetKind === "command") {
    body.command = v.command;
    body.cwd = v.cwd.trim() || null;
    const { env, error } = parseEnv(v.env);
    if (error) errors.env = error;
    body.env = env;
    body.handler = null;
  } else {
    body.handler = v.handler.trim();
    body.command = null;
    if (v.payload.trim()) {
      try {
        body.payload = JSON.parse(v.payload) as unknown;
      } catch {
        errors.payload = "not valid JSON";
      }
    } else {
      body.payload = null;
    }
  }
  if (v.timeoutSeconds.trim()) {
    const t = Number(v.timeoutSeconds);
    if (!Number.isFinite(t) || t <= 0) errors.timeout_seconds = "give a positive number of seconds";
    else body.timeout_seconds = t;
  } else {
    body.timeout_seconds = null;
  }
  const attempts = Number(v.maxAttempts);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100) errors.max_attempts = "give a whole number from 1 to 100";
  else body.max_attempts = attempts;
  const backoff = Number(v.retryBackoffSeconds);
  if (!v.retryBackoffSeconds.trim() || !Number.isFinite(backoff) || backoff <= 0 || backoff > 3600) {
    errors.retry_backoff_seconds = "give a number of seconds above 0, at most 3600";
  } else {
    body.retry_backoff_seconds = backoff;
  }
  return { body, errors };
}

/** The form field a server error names (`body.cron` and `cron` alike); schedule errors go to the schedule. */
export function fieldKey(field: string): string {
  const f = field.replace(/^body\./, "").split(".")[0] ?? field;
  return f === "__root__" ? "" : f;
}
