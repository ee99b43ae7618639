/** Formatting of durations, times and sizes for people. Pure functions, tested beside. */

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes} min ${pad(totalSeconds % 60)} s`;
  const totalHours = Math.floor(totalMinutes / 60);
  if (totalHours < 24) return `${totalHours} h ${pad(totalMinutes % 60)} min`;
  return `${Math.floor(totalHours / 24)} d ${totalHours % 24} h`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

const UNITS: [limitSeconds: number, unitSeconds: number, name: string][] = [
  [60 * 60, 60, "minute"],
  [24 * 60 * 60, 60 * 60, "hour"],
  [7 * 24 * 60 * 60, 24 * 60 * 60, "day"],
  [30 * 24 * 60 * 60, 7 * 24 * 60 * 60, "week"],
  [365 * 24 * 60 * 60, 30 * 24 * 60 * 60, "month"],
  [Infinity, 365 * 24 * 60 * 60, "year"],
];

/** "just now", "3 minutes ago", "in 2 hours", relative to `now` (ms since the epoch). */
export function formatRelative(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "—";
  const diffSeconds = Math.round((t - now) / 1000);
  const abs = Math.abs(diffSeconds);
  if (abs < 45) return diffSeconds > 0 && abs >= 5 ? `in ${abs} seconds` : abs < 5 ? "just now" : `${abs} seconds ago`;
  for (const [limit, unit, name] of UNITS) {
    if (abs < limit) {
      const n = Math.max(1, Math.round(abs / unit));
      const phrase = `${n} ${name}${n === 1 ? "" : "s"}`;
      return diffSeconds < 0 ? `${phrase} ago` : `in ${phrase}`;
    }
  }
  return "—";
}

// Making a formatter is slow (a millisecond or more); a page of 50 rows needs one, not 50.
let zoneFormat: Intl.DateTimeFormat | undefined;

/** The exact local time with the zone, for hover text: "2025-12-06 03:00:12 GMT+1". */
export function formatExact(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  zoneFormat ??= new Intl.DateTimeFormat("en", { timeZoneName: "short" });
  const zone = zoneFormat
    .formatToParts(d)
    .find((p) => p.type === "timeZoneName")?.value;
  return zone ? `${date} ${time} ${zone}` : `${date} ${time}`;
}

/** "HH:MM:SS.mmm" in local time (or UTC), for log lines. */
export function formatClock(iso: string, utc = false): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const ms = utc ? d.getUTCMilliseconds() : d.getMilliseconds();
  const [h, m, s] = utc ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()] : [d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${pad(h)}:${pad(m)}:${pad(s)}.${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}`;
}

/** "12:03:01" in local time: a time of day for sentences. */
export function formatTimeOfDay(at: string | number): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3 minutes ago (12:03:01)": when something happened, for a control's accessible name. */
export function formatWhen(iso: string, now: number): string {
  return `${formatRelative(iso, now)} (${formatTimeOfDay(iso)})`;
}

/** "512 B", "4.2 KiB", "10.0 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}

/** How long an execution took, or has been running so far. */
export function executionDurationMs(
  e: { started_at: string; completed_at?: string; duration_ms?: number },
  now: number,
): number | undefined {
  if (e.duration_ms !== undefined) return e.duration_ms;
  const start = Date.parse(e.started_at);
  if (Number.isNaN(start)) return undefined;
  const end = e.completed_at ? Date.parse(e.completed_at) : now;
  return Math.max(0, end - start);
}
