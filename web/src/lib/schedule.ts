/**
 * A job's schedule in words: "every 5 minutes", "at 02:00, Europe/Berlin",
 * "at 09:30 on Monday to Friday, UTC". Falls back to the cron expression itself for shapes it
 * cannot say briefly, so it never says something wrong.
 */

export interface ScheduleLike {
  cron?: string | null | undefined;
  timezone?: string | null | undefined;
  interval_seconds?: number | null | undefined;
}

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY_ABBR = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTHS = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];
const MONTH_ABBR = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

function plural(n: number, unit: string): string {
  return n === 1 ? `every ${unit}` : `every ${n} ${unit}s`;
}

/** "every 30 seconds", "every minute", "every 2 hours", "every day", "every 90 seconds". */
export function intervalInWords(seconds: number): string {
  if (seconds % 86_400 === 0) return plural(seconds / 86_400, "day");
  if (seconds % 3_600 === 0) return plural(seconds / 3_600, "hour");
  if (seconds % 60 === 0) return plural(seconds / 60, "minute");
  return plural(seconds, "second");
}

function num(field: string, names?: string[]): number | null {
  const lower = field.toLowerCase();
  if (names) {
    const i = names.indexOf(lower);
    if (i >= 0) return i;
  }
  return /^\d+$/.test(field) ? Number(field) : null;
}

/** A list of plain values ("1,15"), or null if the field has ranges or steps. */
function values(field: string, names?: string[], offset = 0): number[] | null {
  const out: number[] = [];
  for (const part of field.split(",")) {
    const n = num(part, names);
    if (n === null) return null;
    out.push(n - offset);
  }
  return out;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function join(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function weekdays(field: string): string | null {
  if (field === "*") return "";
  const range = /^([a-z0-9]+)-([a-z0-9]+)$/i.exec(field);
  if (range) {
    const a = num(range[1] ?? "", DAY_ABBR);
    const b = num(range[2] ?? "", DAY_ABBR);
    if (a === null || b === null) return null;
    if (a === 1 && b === 5) return "on weekdays";
    return `on ${DAYS[a % 7]} to ${DAYS[b % 7]}`;
  }
  const list = values(field, DAY_ABBR);
  if (!list) return null;
  if (list.some((d) => d > 7)) return null;
  const sorted = [...list].sort((x, y) => x - y).join(",");
  if (sorted === "0,6" || sorted === "6,7") return "on weekends";
  return `on ${join(list.map((d) => DAYS[d % 7] ?? ""))}`;
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${s}`;
}

/** The day part: "", "on Monday", "on the 1st of the month", "on 1 January". */
function days(dom: string, month: string, dow: string): string | null {
  const monthList = month === "*" ? null : values(month, MONTH_ABBR, 1);
  if (month !== "*" && !monthList) return null;
  if (dom !== "*" && dow !== "*") return null; // cron's "either" rule is too subtle for words
  if (dow !== "*") {
    const w = weekdays(dow);
    if (w === null) return null;
    return monthList ? `${w} in ${join(monthList.map((m) => MONTHS[m] ?? "?"))}` : w;
  }
  if (dom === "*") return monthList ? `every day in ${join(monthList.map((m) => MONTHS[m] ?? "?"))}` : "";
  const domList = values(dom);
  if (!domList) return null;
  if (monthList) {
    if (monthList.length === 1) return `on ${join(domList.map(String))} ${MONTHS[monthList[0] ?? 0]}`;
    return `on the ${join(domList.map(ordinal))} of ${join(monthList.map((m) => MONTHS[m] ?? "?"))}`;
  }
  return `on the ${join(domList.map(ordinal))} of the month`;
}

function step(field: string): number | null {
  const m = /^(?:\*|0)\/(\d+)$/.exec(field);
  return m ? Number(m[1]) : null;
}

/** The time part: "every minute", "every 5 minutes", "every hour at :15", "at 02:00". */
function times(minute: string, hour: string): { text: string; usesZone: boolean } | null {
  const minuteStep = step(minute);
  if (hour === "*") {
    if (minute === "*") return { text: "every minute", usesZone: false };
    if (minuteStep !== null) return { text: plural(minuteStep, "minute"), usesZone: false };
    const ms = values(minute);
    if (!ms) return null;
    if (ms.length === 1 && ms[0] === 0) return { text: "every hour", usesZone: false };
    return { text: `every hour at ${join(ms.map((m) => `:${two(m)}`))}`, usesZone: false };
  }
  const hourStep = step(hour);
  const ms = values(minute);
  if (hourStep !== null && ms && ms.length === 1) {
    const at = ms[0] === 0 ? "" : ` at :${two(ms[0] ?? 0)}`;
    return { text: `${plural(hourStep, "hour")}${at}`, usesZone: true };
  }
  const hs = values(hour);
  if (!hs || !ms || hs.length * ms.length > 6) return null;
  const list: string[] = [];
  for (const h of hs) for (const m of ms) list.push(`${two(h)}:${two(m)}`);
  return { text: `at ${join(list)}`, usesZone: true };
}

// The values each field allows; a number outside them makes the expression one we do not put
// into words (the server says what is wrong with it).
const RANGES: [min: number, max: number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

function inRange(fields: string[]): boolean {
  return fields.every((f, i) => {
    const [min, max] = RANGES[i] ?? [0, 0];
    return (f.match(/\d+/g) ?? []).every((n, j, all) => {
      const v = Number(n);
      // A step ("*/90") may exceed the range; its base may not.
      const isStep = f.includes("/") && j === all.length - 1;
      return isStep ? v > 0 && v <= max : v >= min && v <= max;
    });
  });
}

export function cronInWords(cron: string, timezone = "UTC"): string {
  const raw = cron.trim().split(/\s+/).join(" ");
  const expr = MACROS[raw.toLowerCase()] ?? raw;
  const fields = expr.split(" ");
  const fallback = `cron ${raw}, ${timezone}`;
  if (fields.length !== 5 || !inRange(fields)) return fallback;
  const [minute = "", hour = "", dom = "", month = "", dow = ""] = fields;
  const t = times(minute, hour);
  const d = days(dom, month, dow);
  if (!t || d === null) return fallback;
  const text = d ? `${t.text} ${d}` : t.text;
  return t.usesZone || d ? `${text}, ${timezone}` : text;
}

/** The schedule of a job in words. */
export function scheduleInWords(s: ScheduleLike): string {
  if (s.interval_seconds) return intervalInWords(s.interval_seconds);
  if (s.cron) return cronInWords(s.cron, s.timezone || "UTC");
  return "no schedule";
}
