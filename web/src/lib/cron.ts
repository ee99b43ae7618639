/**
 * Checking a cron expression in the browser, so the job form can say what is wrong while it is
 * typed. The rules (and the messages) follow the server's parser (`pulse/cronspec.py`, Debian's
 * crontab(5)); the server still has the last word when the form is sent.
 */

export const CRON_MACROS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"] as const;

interface Field {
  name: string;
  low: number;
  high: number;
  names: readonly string[];
  base: number;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTH_NAMES = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const FIELDS: readonly Field[] = [
  { name: "minute", low: 0, high: 59, names: [], base: 0 },
  { name: "hour", low: 0, high: 23, names: [], base: 0 },
  { name: "day-of-month", low: 1, high: 31, names: [], base: 0 },
  { name: "month", low: 1, high: 12, names: MONTHS, base: 1 },
  { name: "day-of-week", low: 0, high: 7, names: DAYS, base: 0 },
];

class CronError extends Error {}

/** Python's repr of a string, as the server quotes values in its messages. */
function q(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s}'`;
}

const DIGITS = /^[0-9]+$/;

function value(text: string, f: Field, item: string): number {
  if (DIGITS.test(text)) {
    const n = Number(text);
    if (n < f.low || n > f.high) throw new CronError(`bad ${f.name} ${q(item)}: ${n} is not in ${f.low}-${f.high}`);
    return n;
  }
  const i = f.names.indexOf(text.toLowerCase());
  if (i >= 0) return i + f.base;
  if (f.names.length) {
    throw new CronError(`bad ${f.name} ${q(item)}: ${q(text)} is neither a number nor a name like ${f.names[0]}`);
  }
  throw new CronError(`bad ${f.name} ${q(item)}: ${q(text)} is not a number`);
}

function parseItem(item: string, f: Field): Set<number> {
  const slashAt = item.indexOf("/");
  const body = slashAt >= 0 ? item.slice(0, slashAt) : item;
  const stepText = slashAt >= 0 ? item.slice(slashAt + 1) : "";
  let step = 1;
  if (slashAt >= 0) {
    if (!DIGITS.test(stepText)) throw new CronError(`bad ${f.name} ${q(item)}: the step must be a number`);
    step = Number(stepText);
    if (step === 0) throw new CronError(`bad ${f.name} ${q(item)}: the step must be at least 1`);
  }
  let low: number;
  let high: number;
  if (body === "*") {
    low = f.low;
    high = f.high;
  } else {
    const dashAt = body.indexOf("-");
    const first = dashAt >= 0 ? body.slice(0, dashAt) : body;
    low = value(first, f, item);
    if (dashAt < 0) {
      if (slashAt >= 0) {
        throw new CronError(
          `bad ${f.name} ${q(item)}: a step needs a range or '*' before it (e.g. ${first}-${f.high}/${stepText})`,
        );
      }
      return new Set([low]);
    }
    high = value(body.slice(dashAt + 1), f, item);
    if (high < low) throw new CronError(`bad ${f.name} ${q(item)}: the range is backwards`);
  }
  const out = new Set<number>();
  for (let n = low; n <= high; n += step) out.add(n);
  return out;
}

function parseField(text: string, f: Field): Set<number> {
  const items = text.split(",");
  const out = new Set<number>();
  for (const item of items) {
    if (!item) throw new CronError(`bad ${f.name} ${q(text)}: empty list element`);
    if (item.startsWith("*") && items.length > 1) {
      throw new CronError(`bad ${f.name} ${q(text)}: '*' cannot be combined with other values in a list`);
    }
    for (const n of parseItem(item, f)) out.add(n);
  }
  return out;
}

/** The fields of an expression: only ASCII spaces and tabs separate them, as in a crontab. */
function splitFields(expr: string): string[] {
  for (const ch of expr) {
    if (ch !== " " && ch !== "\t" && !(ch >= "!" && ch <= "~")) {
      throw new CronError(`unexpected character ${q(ch)}: only ASCII characters, and spaces or tabs between fields`);
    }
  }
  return expr.split(/[ \t]+/).filter(Boolean);
}

/**
 * What is wrong with a cron expression, in the server's words, or null when it is valid: five
 * fields (minute hour day month weekday) or a macro such as `@daily`.
 */
export function cronError(input: string): string | null {
  const expr = input.trim();
  if (!expr) return "give a cron expression";
  let fields: string[];
  try {
    fields = splitFields(expr);
  } catch (e) {
    return `${q(expr)} is not a valid cron expression: ${(e as Error).message}`;
  }
  if (fields.length === 1 && fields[0]?.startsWith("@")) {
    const macro = fields[0].toLowerCase();
    if (macro === "@reboot") return "@reboot is not supported: Pulse runs jobs on a schedule, not at start-up";
    if (!(CRON_MACROS as readonly string[]).includes(macro)) {
      return `unknown macro ${q(fields[0])} (known: ${CRON_MACROS.join(", ")})`;
    }
    return null;
  }
  try {
    if (fields.length !== 5) throw new CronError("must have 5 fields (minute hour day month weekday)");
    const sets = fields.map((text, i) => parseField(text, FIELDS[i] as Field));
    const days = sets[2] as Set<number>;
    const months = sets[3] as Set<number>;
    const dayStar = fields[2]?.startsWith("*") ?? false;
    const weekdayStar = fields[4]?.startsWith("*") ?? false;
    // With both day fields restricted a day matches either; otherwise the days of the month
    // must occur in one of the months (the 30th of February never comes).
    if (dayStar || weekdayStar) {
      const fires = [...months].some((m) => [...days].some((d) => d <= (DAYS_IN_MONTH[m - 1] ?? 31)));
      if (!fires) {
        const ds = [...days].sort((a, b) => a - b).join(", ");
        const ms = [...months]
          .sort((a, b) => a - b)
          .map((m) => MONTH_NAMES[m - 1])
          .join(", ");
        return `${q(fields.join(" "))} would never fire: day-of-month ${ds} does not occur in ${ms}`;
      }
    }
  } catch (e) {
    if (e instanceof CronError) return `${q(expr)} is not a valid cron expression: ${e.message}`;
    throw e;
  }
  return null;
}
