/**
 * One line of a captured log, as the server writes them:
 *   "[<ts>] <text>"            stdout
 *   "[<ts>] [stderr] <text>"   stderr
 *   "[<ts>] [log] <text>"      Python logging records
 *   "[<ts>] [pulse] <text>"    Pulse's own notes (truncation, timeout, …)
 * Lines are stored raw and parsed only when they scroll into view.
 */

export type LineStream = "stdout" | "stderr" | "log" | "system";

export interface LogLine {
  ts: string | null;
  stream: LineStream;
  text: string;
  /** The marker Pulse writes where it dropped the middle of a log over the size cap. */
  truncation: boolean;
}

const TAGS: Record<string, LineStream> = { stderr: "stderr", log: "log", pulse: "system" };

export function parseLogLine(raw: string): LogLine {
  let rest = raw;
  let ts: string | null = null;
  if (rest.startsWith("[")) {
    const end = rest.indexOf("] ");
    if (end > 1 && end < 40) {
      ts = rest.slice(1, end);
      rest = rest.slice(end + 2);
    } else if (end === -1 && rest.endsWith("]") && rest.length < 40) {
      ts = rest.slice(1, -1);
      rest = "";
    }
  }
  let stream: LineStream = "stdout";
  if (ts !== null && rest.startsWith("[")) {
    const end = rest.indexOf("]");
    const tag = TAGS[rest.slice(1, end)];
    if (end > 0 && tag) {
      stream = tag;
      rest = rest.slice(end + 1 + (rest[end + 1] === " " ? 1 : 0));
    }
  }
  return { ts, stream, text: rest, truncation: stream === "system" && rest.includes("bytes dropped") };
}

/**
 * Split log text into lines, carrying an unfinished last line over to the next piece.
 * Returns the complete lines and the remainder.
 */
export function splitLines(text: string, carry = ""): { lines: string[]; rest: string } {
  const all = (carry + text).split("\n");
  const rest = all.pop() ?? "";
  return { lines: all, rest };
}
